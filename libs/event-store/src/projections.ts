import type { PoolClient } from 'pg';
import { CheckpointStore } from './checkpoints';
import { appendedSignal, type EventStore } from './event-store';
import { FollowLoop, type LogSink } from './follow-loop';
import { LeaderLease } from './leadership';
import type { Migration } from './migrations';
import { announceReadModelChange } from './read-model-changes';
import type { StoredEvent } from './types';

/**
 * A read model built from the log. `handle` writes with the given transaction, which also records the
 * checkpoint, so a crash replays the whole batch and never skips or doubles a row. The transaction also announces
 * the workspaces of the batch's events (see ReadModelChanges): a read model's rows must belong to the workspace of
 * the events that wrote them, so that caches of its queries learn of every change.
 */
export interface Projection {
  readonly name: string;
  /** Only these event types are read; all when absent. */
  readonly eventTypes?: readonly string[];
  /** Creates the read model's tables; run with the service's migrations. */
  readonly migrations?: readonly Migration[];
  handle(events: readonly StoredEvent[], tx: PoolClient): Promise<void>;
  /** Empties the read model, for a rebuild from the start of the log. */
  reset(tx: PoolClient): Promise<void>;
}

export interface ProjectionRunnerOptions {
  readonly replicaId: string;
  readonly batchSize?: number;
  readonly idleMs?: number;
  readonly standbyMs?: number;
  readonly logger?: LogSink;
}

export class ProjectionRunner {
  private readonly checkpoints: CheckpointStore;
  private readonly loop: FollowLoop;

  constructor(
    private readonly store: EventStore,
    readonly projection: Projection,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.checkpoints = new CheckpointStore(store.schema, options.replicaId);
    this.loop = new FollowLoop({
      name: `projection ${projection.name}`,
      lease: new LeaderLease(store.pool, `${store.schema}:projection:${projection.name}`),
      step: async () => (await this.processBatch()) >= this.batchSize,
      wake: store.signals,
      // A projection of some types only wakes for those: events of other types are stepped over at the next wake
      // or idle check, not read and checkpointed at every append.
      wakeOn: projection.eventTypes?.map(appendedSignal),
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
    return this.options.batchSize ?? 1000;
  }

  /**
   * Applies the next batch in one transaction with its checkpoint, and returns how many events of the log it
   * went past. The checkpoint moves only from the value this batch was read at, so even two replicas racing (a
   * lease lost mid-batch) cannot apply a batch twice. Nothing new costs one read; only events of other types, one
   * read and a checkpoint move, with no transaction and no read-model change announced.
   */
  async processBatch(): Promise<number> {
    const { store, projection } = this;
    const checkpointName = projectionCheckpointName(projection.name);
    const {
      checkpoint: from,
      events,
      read,
      through,
    } = await store.readAfterCheckpoint(checkpointName, {
      limit: this.batchSize,
      types: projection.eventTypes,
    });
    if (!through) return 0;
    if (events.length === 0)
      return (await this.checkpoints.advance(store.pool, checkpointName, from, through)) ? read : 0;
    const client = await store.pool.connect();
    try {
      await this.beginInSchema(client);
      await projection.handle(events, client);
      await announceReadModelChange(
        client,
        store.schema,
        events.map((event) => event.metadata.workspaceId),
      );
      const moved = await this.checkpoints.advance(client, checkpointName, from, through);
      if (!moved) {
        await client.query('ROLLBACK');
        return 0;
      }
      await client.query('COMMIT');
      store.signals.emit(projectedSignal(projection.name), events);
      return read;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Read models live in the service's schema, so projections name their tables without it. Their commits need
   * not wait for the disk: a batch lost in a database crash takes its checkpoint with it and is projected again.
   */
  private async beginInSchema(client: PoolClient): Promise<void> {
    await client.query(`BEGIN; SET LOCAL search_path TO ${this.store.schema}; SET LOCAL synchronous_commit TO off`);
  }

  /** Handles batches until the log holds nothing more that can be read now. */
  async catchUp(): Promise<number> {
    let total = 0;
    for (let handled = await this.processBatch(); handled > 0; handled = await this.processBatch()) total += handled;
    return total;
  }

  /** Empties the read model and its checkpoint in one transaction; the runner then replays the whole log. */
  async rebuild(): Promise<void> {
    const client = await this.store.pool.connect();
    try {
      await this.beginInSchema(client);
      await this.projection.reset(client);
      await announceReadModelChange(client, this.store.schema, 'all');
      await this.checkpoints.reset(client, projectionCheckpointName(this.projection.name));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** What `store.signals` emits, with the batch's events, after the projection of this name committed it. */
export function projectedSignal(projectionName: string): string {
  return `projected:${projectionName}`;
}

export function projectionCheckpointName(projectionName: string): string {
  return `projection:${projectionName}`;
}
