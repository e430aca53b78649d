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
  /** The largest message it takes, in bytes: a larger event is not even tried. */
  readonly maxPayloadBytes: number;
  /** Whether a failure of `publishEvents` is for good (an event was refused) rather than passing (the bus is down). */
  isPermanentFailure(error: unknown): boolean;
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

/** Room left in a message for its headers (the message id) besides the envelope. */
const HEADER_ALLOWANCE_BYTES = 1024;

interface DeadLetter {
  readonly event: StoredEvent;
  readonly reason: string;
}

/**
 * Publishes committed events in commit order, then records how far it got. A crash between the two
 * republishes the batch: delivery is at least once, and the event id as message id lets the bus drop the copies.
 * An event the bus refuses for good (too large, refused by the stream) cannot hold the log back: it is recorded
 * in `relay_dead_letters` with the reason and the relay moves on. A failure that may pass (NATS down) is retried.
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
    const deadLetters = await this.publish(events);
    if (deadLetters.length === 0) {
      await this.checkpoints.advance(store.pool, RELAY_CHECKPOINT, from, through);
      return events.length;
    }
    const client = await store.pool.connect();
    try {
      await client.query('BEGIN');
      for (const { event, reason } of deadLetters) {
        await client.query(
          `INSERT INTO ${store.schema}.relay_dead_letters (event_id, global_position, stream_id, type, reason)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
          [event.eventId, event.globalPosition, event.streamId, event.type, reason],
        );
      }
      await this.checkpoints.advance(client, RELAY_CHECKPOINT, from, through);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    for (const { event, reason } of deadLetters) {
      this.options.logger?.error(
        { eventId: event.eventId, type: event.type, streamId: event.streamId, reason },
        'an event could not be published and was dead-lettered; the relay moves on',
      );
    }
    return events.length;
  }

  /** Events dead-lettered so far in this service's schema. */
  async deadLetterCount(): Promise<number> {
    const { rows } = await this.store.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${this.store.schema}.relay_dead_letters`,
    );
    return Number(rows[0].count);
  }

  /** Publishes the batch and answers the events refused for good; throws on a failure worth retrying. */
  private async publish(events: readonly StoredEvent[]): Promise<DeadLetter[]> {
    const { publisher } = this;
    const limit = publisher.maxPayloadBytes - HEADER_ALLOWANCE_BYTES;
    const deadLetters: DeadLetter[] = [];
    const publishable: { event: StoredEvent; envelope: EventEnvelope }[] = [];
    for (const event of events) {
      const envelope = toEnvelope(this.options.context, event);
      const bytes = Buffer.byteLength(JSON.stringify(envelope));
      if (bytes > limit) deadLetters.push({ event, reason: `${bytes} bytes, over the bus's limit of ${limit}` });
      else publishable.push({ event, envelope });
    }
    try {
      await publisher.publishEvents(publishable.map((each) => each.envelope));
    } catch (error) {
      if (!publisher.isPermanentFailure(error)) throw error;
      // One of them was refused: each alone, in order, tells which.
      for (const { event, envelope } of publishable) {
        await publisher.publishEvents([envelope]).catch((refusal: unknown) => {
          if (!publisher.isPermanentFailure(refusal)) throw refusal;
          deadLetters.push({ event, reason: reasonOf(refusal) });
        });
      }
    }
    return deadLetters;
  }
}

function reasonOf(error: unknown): string {
  const reasons = error instanceof AggregateError ? error.errors : [error];
  return reasons.map((each) => (each instanceof Error ? each.message : String(each))).join('; ');
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
