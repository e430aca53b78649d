import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ClientBase, Pool, QueryResultRow } from 'pg';
import { assertSchemaName, eventStoreMigrations, runMigrations } from './migrations';
import type { AppendResult, Checkpoint, ExpectedVersion, NewEvent, StoredEvent } from './types';
import { START_OF_LOG, StreamVersionConflictError } from './types';

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

const EVENT_COLUMNS =
  'event_id, type, schema_version, stream_id, stream_version, global_position, transaction_id::text AS transaction_id, data, metadata, created_at';

const UNIQUE_VIOLATION = '23505';
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
  /** Fires after an append commits, so in-process readers (projections, relay) wake without polling. */
  readonly appended = new EventEmitter();
  private readonly statements: Record<'exact' | 'any', string>;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {
    assertSchemaName(schema);
    this.appended.setMaxListeners(100);
    this.statements = { exact: appendStatement(schema, 'exact'), any: appendStatement(schema, 'any') };
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
    const values = [
      streamId,
      expected === 'no_stream' ? 0 : expected === 'any' ? null : expected,
      eventIds,
      events.map((event) => event.type),
      events.map((event) => event.schemaVersion ?? 1),
      events.map((event) => JSON.stringify(event.data)),
      events.map((event) => JSON.stringify(event.metadata)),
    ];
    const db = options.client ?? this.pool;
    const mode = expected === 'any' ? 'any' : 'exact';
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await db.query<{ source: 'new' | 'old'; global_position: string; stream_version: string; event_id: string }>(
          { name: `${this.schema}.append.${mode}`, text: this.statements[mode], values },
        );
        return await this.appendResult(db, streamId, expected, eventIds, rows, options.client !== undefined);
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        // A concurrent append won the race. If it appended these very events, this append is already done.
        if (options.client === undefined) {
          const stored = await this.findByEventIds(db, eventIds);
          if (stored.length === eventIds.length) return resultOf(stored, true);
        }
        if (expected !== 'any' || attempt >= ANY_VERSION_RETRIES || options.client !== undefined) {
          // The caller's transaction is aborted by the violation, so the actual version is read outside it.
          throw new StreamVersionConflictError(streamId, expected, await this.streamVersion(streamId));
        }
      }
    }
  }

  private async appendResult(
    db: Queryable,
    streamId: string,
    expected: ExpectedVersion,
    eventIds: string[],
    rows: { source: 'new' | 'old'; global_position: string; stream_version: string; event_id: string }[],
    inCallersTransaction: boolean,
  ): Promise<AppendResult> {
    const inserted = rows.filter((row) => row.source === 'new');
    if (inserted.length === eventIds.length) {
      if (!inCallersTransaction) this.appended.emit('appended');
      return resultOf(inserted, false);
    }
    const existing = rows.filter((row) => row.source === 'old');
    if (existing.length === eventIds.length) return resultOf(sortByIds(existing, eventIds), true);
    if (existing.length > 0) {
      throw new Error(
        `append to ${streamId} reuses ${existing.length} of ${eventIds.length} event ids already stored; event ids must be new or all repeated`,
      );
    }
    throw new StreamVersionConflictError(streamId, expected, await this.streamVersion(streamId, db));
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
   * Events after `after` in commit order, never skipping one that a slower transaction commits later: only
   * transactions older than the oldest one still running are read (their set can no longer change), ordered
   * by transaction id then position. A bare `ORDER BY global_position` would move past a position that an
   * open transaction took and commits afterwards, losing that event for good.
   */
  async readAll<Data = unknown>(
    after: Checkpoint = START_OF_LOG,
    options: { limit?: number; types?: readonly string[]; client?: Queryable } = {},
  ): Promise<StoredEvent<Data>[]> {
    const filtered = options.types !== undefined;
    const { rows } = await (options.client ?? this.pool).query<EventRow>({
      name: `${this.schema}.readAll${filtered ? '.types' : ''}`,
      text: `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events
              WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
                AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                ${filtered ? 'AND type = ANY($4::text[])' : ''}
              ORDER BY transaction_id, global_position
              LIMIT $3`,
      values: filtered
        ? [after.transactionId, after.globalPosition, options.limit ?? 1000, options.types]
        : [after.transactionId, after.globalPosition, options.limit ?? 1000],
    });
    return rows.map((row) => toStoredEvent<Data>(row));
  }

  private async findByEventIds(db: Queryable, eventIds: string[]) {
    const { rows } = await db.query<{ global_position: string; stream_version: string; event_id: string }>(
      `SELECT global_position, stream_version, event_id FROM ${this.schema}.events WHERE event_id = ANY($1::uuid[])`,
      [eventIds],
    );
    return sortByIds(rows, eventIds);
  }
}

function appendStatement(schema: string, mode: 'exact' | 'any'): string {
  // $2 is the expected version: 0 means "no stream yet"; for "any" it is computed from the stream itself.
  const base = mode === 'any' ? `(SELECT coalesce(max(stream_version), 0) FROM ${schema}.events WHERE stream_id = $1)` : '$2::bigint';
  const guard =
    mode === 'any'
      ? '$2::bigint IS NULL'
      : `($2::bigint = 0 OR EXISTS (SELECT 1 FROM ${schema}.events WHERE stream_id = $1 AND stream_version = $2::bigint))`;
  return `
    WITH input AS (
      SELECT * FROM unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[])
        WITH ORDINALITY AS e(event_id, type, schema_version, data, metadata, n)
    ), old AS (
      SELECT global_position, stream_version, event_id FROM ${schema}.events WHERE event_id = ANY($3::uuid[])
    ), new AS (
      INSERT INTO ${schema}.events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
      SELECT $1, ${base} + n, event_id, type, schema_version, data, metadata FROM input
       WHERE NOT EXISTS (SELECT 1 FROM old) AND ${guard}
       ORDER BY n
      RETURNING global_position, stream_version, event_id
    )
    SELECT 'new' AS source, * FROM new UNION ALL SELECT 'old' AS source, * FROM old`;
}

function sortByIds<T extends { event_id: string }>(rows: T[], eventIds: string[]): T[] {
  const order = new Map(eventIds.map((id, index) => [id, index]));
  return [...rows].sort((a, b) => (order.get(a.event_id) ?? 0) - (order.get(b.event_id) ?? 0));
}

function resultOf(
  rows: { global_position: string; stream_version: string; event_id: string }[],
  alreadyAppended: boolean,
): AppendResult {
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

export function checkpointOf(event: Pick<StoredEvent, 'transactionId' | 'globalPosition'>): Checkpoint {
  return { transactionId: event.transactionId, globalPosition: event.globalPosition };
}
