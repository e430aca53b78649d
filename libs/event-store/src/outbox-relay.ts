import type { EventEnvelope } from '@platform/contracts';
import { CheckpointStore } from './checkpoints';
import type { EventStore } from './event-store';
import { FollowLoop, type LogSink } from './follow-loop';
import { LeaderLease } from './leadership';
import type { StoredEvent } from './types';

/** Where committed events go: the bus's EVENTS stream, deduplicating by event id. */
export interface EventPublisher {
  /** Resolves once every envelope is durably stored; publishes in the order given. */
  publishEvents(envelopes: readonly EventEnvelope[]): Promise<unknown>;
}

export interface OutboxRelayOptions {
  /** The bounded context, the `<context>` of `evt.<context>.<EventType>`. */
  readonly context: string;
  readonly replicaId: string;
  readonly batchSize?: number;
  readonly idleMs?: number;
  readonly standbyMs?: number;
  readonly logger?: LogSink;
}

export const RELAY_CHECKPOINT = 'relay:events';

/**
 * Publishes committed events in commit order, then records how far it got. A crash between the two
 * republishes the batch: delivery is at least once, and the event id as message id lets the bus drop the copies.
 */
export class OutboxRelay {
  private readonly checkpoints: CheckpointStore;
  private readonly loop: FollowLoop;

  constructor(
    private readonly store: EventStore,
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.checkpoints = new CheckpointStore(store.schema, options.replicaId);
    this.loop = new FollowLoop({
      name: 'outbox relay',
      lease: new LeaderLease(store.pool, `${store.schema}:relay`),
      step: async () => (await this.publishBatch()) >= this.batchSize,
      wake: store.signals,
      idleMs: options.idleMs,
      standbyMs: options.standbyMs,
      logger: options.logger,
    });
  }

  get isLeader(): boolean {
    return this.loop.isLeader;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 500;
  }

  async publishBatch(): Promise<number> {
    const { store } = this;
    const {
      checkpoint: from,
      events,
      through,
    } = await store.readAfterCheckpoint(RELAY_CHECKPOINT, { limit: this.batchSize });
    if (!through) return 0;
    await this.publisher.publishEvents(events.map((event) => toEnvelope(this.options.context, event)));
    await this.checkpoints.advance(store.pool, RELAY_CHECKPOINT, from, through);
    return events.length;
  }
}

export function toEnvelope(context: string, event: StoredEvent): EventEnvelope {
  return {
    eventId: event.eventId,
    context,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    position: event.globalPosition,
    data: event.data,
    metadata: event.metadata,
    occurredAt: event.createdAt.toISOString(),
  };
}
