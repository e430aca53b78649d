import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ClientBase, Pool, QueryResultRow } from 'pg';
import { assertSchemaName, eventStoreMigrations, runMigrations } from './migrations';
import type { AppendResult, Checkpoint, ExpectedVersion, NewEvent, StoredEvent } from './types';
import { StreamVersionConflictError } from './types';

type Queryable = Pick<Pool | ClientBase, 'query'>;

interface EventRow extends QueryResultRow {
  event_id: string;
  type: string;
  schema_version: number;
  stream_id: string;
  stream_version: string;
  global_position: string;
  transaction_id: string;
  data: unknown;
  metadata: StoredEvent['metadata'];
  created_at: Date;
}

/** An event beside its reader's checkpoint; a checkpoint with no event after it comes with the event columns null. */
type CheckpointedEventRow = { checkpoint_transaction_id: string; checkpoint_global_position: string } & (
  | (EventRow & { wanted: boolean })
  | { event_id: null }
);

/** A reader's checkpoint and what follows it (see `EventStore.readAfterCheckpoint`). */
export interface CheckpointedRead<Data = unknown> {
  readonly checkpoint: Checkpoint;
  /** The events read, of the types asked for. */
  readonly events: StoredEvent<Data>[];
  /** How many events the read covered, of any type; as many as the limit means more may follow. */
  readonly read: number;
  /** Where the read ended, of any type (absent when nothing followed the checkpoint). */
  readonly through?: Checkpoint;
}

const EVENT_COLUMNS =
  'event_id, type, schema_version, stream_id, stream_version, global_position, transaction_id::text AS transaction_id, data, metadata, created_at';

const UNIQUE_VIOLATION = '23505';

interface AppendedRow {
  global_position: string;
  stream_version: string;
  event_id: string;
}
const ANY_VERSION_RETRIES = 20;

export interface AppendOptions {
  readonly expectedVersion?: ExpectedVersion;
  /** Append inside the caller's transaction (the caller commits). */
  readonly client?: ClientBase;
}

/**
 * The append-only event log of one service, in its own PostgreSQL schema.
 *
 * An append is one statement: the version guard, the idempotency check and the insert travel together, so
 * an append costs one round trip and one commit, like a bare INSERT.
 */
export class EventStore {
  /**
   * In-process signals, so readers wake without polling: 'appended' after an append commits (projections, the
   * relay), 'projected' after a projection committed a batch (process managers that look at read models).
   */
  readonly signals = new EventEmitter();
  private readonly statements: Record<`${'exact' | 'any'}.${'one' | 'many'}`, string>;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {
    assertSchemaName(schema);
    this.signals.setMaxListeners(100);
    this.statements = {
      'exact.one': appendStatement(schema, 'exact', 'one'),
      'exact.many': appendStatement(schema, 'exact', 'many'),
      'any.one': appendStatement(schema, 'any', 'one'),
      'any.many': appendStatement(schema, 'any', 'many'),
    };
  }

  async migrate(): Promise<void> {
    await runMigrations(this.pool, this.schema, eventStoreMigrations);
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const expected = options.expectedVersion ?? 'any';
    if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
      throw new Error(`expected version must be a non-negative integer, "any" or "no_stream", not ${expected}`);
    }
    const eventIds = events.map((event) => event.eventId ?? randomUUID());
    const one = events.length === 1;
    const values = [
      streamId,
      expected === 'no_stream' ? 0 : expected === 'any' ? null : expected,
      one ? eventIds[0] : eventIds,
      one ? events[0].type : events.map((event) => event.type),
      one ? events[0].schemaVersion ?? 1 : events.map((event) => event.schemaVersion ?? 1),
      one ? JSON.stringify(events[0].data) : events.map((event) => JSON.stringify(event.data)),
      one ? JSON.stringify(events[0].metadata) : events.map((event) => JSON.stringify(event.metadata)),
    ];
    const db = options.client ?? this.pool;
    const statement = `${expected === 'any' ? 'any' : 'exact'}.${one ? 'one' : 'many'}` as const;
    for (let attempt = 1; ; attempt++) {
      let rows: AppendedRow[];
      try {
        ({ rows } = await db.query<AppendedRow>({
          name: `${this.schema}.append.${statement}`,
          text: this.statements[statement],
          values,
        }));
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        // Either these events are stored already (a retry) or a concurrent writer took the version. A caller's
        // transaction is aborted by the violation, so both are checked outside it.
        const stored = await this.findByEventIds(this.pool, eventIds);
        if (stored.length === eventIds.length) return resultOf(stored, true);
        if (stored.length > 0) {
          throw new Error(
            `append to ${streamId} repeats ${stored.length} of ${eventIds.length} stored event ids; event ids must be all new or all repeated`,
          );
        }
        if (expected !== 'any' || attempt >= ANY_VERSION_RETRIES || options.client) {
          throw new StreamVersionConflictError(streamId, expected, await this.streamVersion(streamId));
        }
        continue;
      }
      if (rows.length === 0) {
        // The guard held the insert back: the stream is not at the expected version.
        throw new StreamVersionConflictError(streamId, expected, await this.streamVersion(streamId, db));
      }
      if (!options.client) this.signals.emit('appended');
      return resultOf(rows, false);
    }
  }

  async streamVersion(streamId: string, db: Queryable = this.pool): Promise<number> {
    const { rows } = await db.query<{ version: string }>(
      `SELECT coalesce(max(stream_version), 0) AS version FROM ${this.schema}.events WHERE stream_id = $1`,
      [streamId],
    );
    return Number(rows[0].version);
  }

  async readStream<Data = unknown>(
    streamId: string,
    options: { fromVersion?: number; client?: ClientBase } = {},
  ): Promise<{ events: StoredEvent<Data>[]; version: number }> {
    const { rows } = await (options.client ?? this.pool).query<EventRow>({
      name: `${this.schema}.readStream`,
      text: `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      values: [streamId, options.fromVersion ?? 0],
    });
    const events = rows.map((row) => toStoredEvent<Data>(row));
    return { events, version: events.length ? events[events.length - 1].streamVersion : options.fromVersion ?? 0 };
  }

  /**
   * What a reader of the log (a projection, the relay) has to do next, in one round trip: where its checkpoint
   * `name` stands (the start of the log when it has none) and the next `limit` events after it, in commit order,
   * never skipping one that a slower transaction commits later: only transactions older than the oldest one still
   * running are read (their set can no longer change), ordered by transaction id then position. A bare `ORDER BY
   * global_position` would move past a position that an open transaction took and commits afterwards, losing that
   * event for good. With `types`, only events of those types come back whole, but `read` and `through` still
   * count every event the window covered, so a reader moves its checkpoint past events it has no use for instead
   * of scanning them again at every read.
   */
  async readAfterCheckpoint<Data = unknown>(
    name: string,
    options: { limit?: number; types?: readonly string[] } = {},
  ): Promise<CheckpointedRead<Data>> {
    const filtered = options.types !== undefined;
    const columns = filtered
      ? `event_id, type, schema_version, stream_id, stream_version, global_position, transaction_id::text AS transaction_id,
         CASE WHEN type = ANY($3::text[]) THEN data END AS data, CASE WHEN type = ANY($3::text[]) THEN metadata END AS metadata,
         created_at, type = ANY($3::text[]) AS wanted`
      : `${EVENT_COLUMNS}, true AS wanted`;
    const { rows } = await this.pool.query<CheckpointedEventRow>({
      name: `${this.schema}.readAfterCheckpoint${filtered ? '.types' : ''}`,
      text: `SELECT c.transaction_id::text AS checkpoint_transaction_id, c.global_position::text AS checkpoint_global_position, e.*
               FROM (SELECT coalesce(cp.transaction_id, '0'::xid8) AS transaction_id, coalesce(cp.global_position, 0) AS global_position
                       FROM (VALUES (1)) AS one (x) LEFT JOIN ${this.schema}.checkpoints cp ON cp.name = $1) AS c
               LEFT JOIN LATERAL (
                 SELECT ${columns}, events.transaction_id AS commit_order FROM ${this.schema}.events
                  WHERE (events.transaction_id, events.global_position) > (c.transaction_id, c.global_position)
                    AND events.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                  ORDER BY events.transaction_id, events.global_position
                  LIMIT $2
               ) AS e ON true
              ORDER BY e.commit_order, e.global_position`,
      values: filtered ? [name, options.limit ?? 1000, options.types] : [name, options.limit ?? 1000],
    });
    const checkpoint = { transactionId: rows[0].checkpoint_transaction_id, globalPosition: rows[0].checkpoint_global_position };
    const last = rows[rows.length - 1];
    // Without events the one row, left-joined to nothing, carries only the checkpoint.
    if (last.event_id === null) return { checkpoint, events: [], read: 0 };
    const read = rows as (EventRow & { wanted: boolean })[];
    return {
      checkpoint,
      events: read.filter((row) => row.wanted).map((row) => toStoredEvent<Data>(row)),
      read: read.length,
      through: { transactionId: last.transaction_id, globalPosition: last.global_position },
    };
  }

  private async findByEventIds(db: Queryable, eventIds: string[]): Promise<AppendedRow[]> {
    const { rows } = await db.query<AppendedRow>(
      `SELECT global_position, stream_version, event_id FROM ${this.schema}.events WHERE event_id = ANY($1::uuid[])`,
      [eventIds],
    );
    return sortByIds(rows, eventIds);
  }
}

/**
 * The version guard rides in the INSERT's WHERE: an exact expected version N needs event N to exist, and
 * the unique (stream_id, stream_version) index refuses N+1 if a concurrent writer got there first. A
 * repeated event id is refused by the unique event_id index; `append` then reports the stored originals.
 */
function appendStatement(schema: string, mode: 'exact' | 'any', shape: 'one' | 'many'): string {
  const base =
    mode === 'any' ? `(SELECT coalesce(max(stream_version), 0) FROM ${schema}.events WHERE stream_id = $1)` : '$2::bigint';
  const guard =
    mode === 'any'
      ? '$2::bigint IS NULL'
      : `($2::bigint = 0 OR EXISTS (SELECT 1 FROM ${schema}.events WHERE stream_id = $1 AND stream_version = $2::bigint))`;
  const source =
    shape === 'one'
      ? 'SELECT $3::uuid, $4::text, $5::int, $6::jsonb, $7::jsonb, 1'
      : 'SELECT * FROM unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[]) WITH ORDINALITY';
  return `
    INSERT INTO ${schema}.events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT $1, ${base} + e.n, e.event_id, e.type, e.schema_version, e.data, e.metadata
      FROM (${source}) AS e(event_id, type, schema_version, data, metadata, n)
     WHERE ${guard}
     ORDER BY e.n
    RETURNING global_position, stream_version, event_id`;
}

function sortByIds(rows: AppendedRow[], eventIds: string[]): AppendedRow[] {
  const order = new Map(eventIds.map((id, index) => [id, index]));
  return [...rows].sort((a, b) => (order.get(a.event_id) ?? 0) - (order.get(b.event_id) ?? 0));
}

function resultOf(rows: AppendedRow[], alreadyAppended: boolean): AppendResult {
  const sorted = [...rows].sort((a, b) => Number(a.stream_version) - Number(b.stream_version));
  return {
    nextExpectedVersion: Number(sorted[sorted.length - 1].stream_version),
    eventIds: sorted.map((row) => row.event_id),
    globalPositions: sorted.map((row) => row.global_position),
    alreadyAppended,
  };
}

function toStoredEvent<Data>(row: EventRow): StoredEvent<Data> {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    globalPosition: row.global_position,
    transactionId: row.transaction_id,
    data: row.data as Data,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}
