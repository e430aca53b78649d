import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ClientBase, Pool, QueryResultRow } from 'pg';
import { CallGroups } from './call-groups';
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
  (EventRow & { wanted: boolean }) | { event_id: null }
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
/** The most commands' appends (or stream reads) one statement carries. */
const MAX_GROUP_SIZE = 64;
/** The most stream versions kept for refusing appends early (see `EventStore.reachedVersions`). */
const MAX_REACHED_VERSIONS = 10_000;

export interface AppendOptions {
  readonly expectedVersion?: ExpectedVersion;
  /** Append inside the caller's transaction (the caller commits). */
  readonly client?: ClientBase;
}

interface AppendRequest {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  readonly eventIds: string[];
  /** Whether the caller chose any of the event ids (a retry repeats them). */
  readonly idsGiven: boolean;
  readonly events: readonly NewEvent[];
}

interface StreamRead {
  readonly streamId: string;
  readonly fromVersion: number;
}

/**
 * The append-only event log of one service, in its own PostgreSQL schema.
 *
 * An append is one statement: the version guard, the idempotency check and the insert travel together, so
 * an append costs one round trip and one commit, like a bare INSERT. Appends (and stream reads) made at the same
 * time go together in one statement (see `CallGroups`); each append still stands or falls on its own guard.
 */
export class EventStore {
  /**
   * In-process signals, so readers wake without polling: 'appended' after an append commits (the relay,
   * projections of every type), `appendedSignal(type)` for each type it stored (projections of some types only),
   * `projectedSignal(name)` with the batch's events after a projection committed it (process managers that look at
   * read models, and the notices that tell waiting callers their command was applied).
   */
  readonly signals = new EventEmitter();
  private readonly appendStatement: string;
  private readonly appendOneStatement: string;
  private readonly appends: CallGroups<AppendRequest, AppendResult>;
  /** The versions streams reached in the appends since the event store was last idle (see `refuseEarly`). */
  private readonly reachedVersions = new Map<string, number>();
  private readonly streamReads: CallGroups<StreamRead, StoredEvent[]>;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {
    assertSchemaName(schema);
    this.signals.setMaxListeners(100);
    this.appendStatement = appendStatement(schema);
    this.appendOneStatement = appendOneStatement(schema);
    this.appends = new CallGroups({
      run: (requests) => this.appendGroup(requests),
      maxGroupSize: MAX_GROUP_SIZE,
      // Two appends to one stream in one statement would both build on the version before either.
      keyOf: (request) => request.streamId,
      // Writers racing on one stream: once one of them moved it past the version another expects, that one is
      // answered with the conflict it would get, without a statement (versions never go back). Not an append of
      // given event ids: it may repeat stored events, and that is answered with them, not with a conflict.
      refuseEarly: ({ streamId, expected, idsGiven }) => {
        const reached = this.reachedVersions.get(streamId);
        if (
          reached === undefined ||
          idsGiven ||
          expected === 'any' ||
          (expected === 'no_stream' ? 0 : expected) >= reached
        )
          return undefined;
        return new StreamVersionConflictError(streamId, expected, reached);
      },
      onIdle: () => this.reachedVersions.clear(),
    });
    this.streamReads = new CallGroups({ run: (reads) => this.readStreams(reads), maxGroupSize: MAX_GROUP_SIZE });
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
    const request: AppendRequest = {
      streamId,
      expected,
      eventIds: events.map((event) => event.eventId ?? randomUUID()),
      idsGiven: events.some((event) => event.eventId !== undefined),
      events,
    };
    if (options.client) return this.appendAlone(request, options.client);
    return this.appends.call(request);
  }

  /** Appends a group and keeps the versions its streams reached, for the appends still waiting. */
  private async appendGroup(requests: readonly AppendRequest[]): Promise<(AppendResult | Error)[]> {
    const results = await this.appendTogether(requests);
    // Only an optimisation: under a load that never lets the store go idle, start again rather than grow.
    if (this.reachedVersions.size > MAX_REACHED_VERSIONS) this.reachedVersions.clear();
    results.forEach((result, index) => {
      const reached =
        result instanceof StreamVersionConflictError
          ? result.actual
          : result instanceof Error
            ? undefined
            : result.nextExpectedVersion;
      if (reached !== undefined) this.reachedVersions.set(requests[index].streamId, reached);
    });
    return results;
  }

  /**
   * Appends a group in one statement (an append alone goes as one). Each append's guard holds back only its own
   * events, so the statement answers which went through. A unique violation (a repeated append, or a writer that
   * took a version in between) aborts them all; each then goes alone, to tell which it was.
   */
  private async appendTogether(requests: readonly AppendRequest[]): Promise<(AppendResult | Error)[]> {
    if (requests.length === 1) return [await this.appendAlone(requests[0], this.pool).catch(asError)];
    let rows: AppendedRow[];
    try {
      rows = await this.insertEvents(this.pool, requests);
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      const results: (AppendResult | Error)[] = [];
      for (const request of requests) results.push(await this.appendAlone(request, this.pool).catch(asError));
      return results;
    }
    const byEventId = new Map(rows.map((row) => [row.event_id, row]));
    this.announceAppended(
      requests.filter((request) => byEventId.has(request.eventIds[0])).flatMap((request) => request.events),
    );
    return Promise.all(
      requests.map(async (request) => {
        const own = request.eventIds.flatMap((eventId) => byEventId.get(eventId) ?? []);
        if (own.length > 0) return resultOf(own, false);
        // The guard held the insert back: the stream is not at the expected version.
        return new StreamVersionConflictError(
          request.streamId,
          request.expected,
          await this.streamVersion(request.streamId),
        );
      }),
    );
  }

  private async appendAlone(request: AppendRequest, db: Pool | ClientBase): Promise<AppendResult> {
    const { streamId, expected, eventIds } = request;
    const inCallersTransaction = db !== this.pool;
    for (let attempt = 1; ; attempt++) {
      let rows: AppendedRow[];
      try {
        rows = await this.insertEvents(db, [request]);
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
        if (expected !== 'any' || attempt >= ANY_VERSION_RETRIES || inCallersTransaction) {
          throw new StreamVersionConflictError(streamId, expected, await this.streamVersion(streamId));
        }
        continue;
      }
      if (rows.length === 0) {
        // The guard held the insert back: the stream is not at the expected version.
        throw new StreamVersionConflictError(streamId, expected, await this.streamVersion(streamId, db));
      }
      if (!inCallersTransaction) this.announceAppended(request.events);
      return resultOf(rows, false);
    }
  }

  /** Wakes the readers of the log: all of them ('appended'), and those that read only some types (`appendedSignal`). */
  private announceAppended(events: readonly NewEvent[]): void {
    if (events.length === 0) return;
    this.signals.emit('appended');
    for (const type of new Set(events.map((event) => event.type))) this.signals.emit(appendedSignal(type));
  }

  private async insertEvents(db: Queryable, requests: readonly AppendRequest[]): Promise<AppendedRow[]> {
    const rows = requests.flatMap(({ streamId, expected, eventIds, events }) =>
      events.map((event, index) => ({
        stream_id: streamId,
        expected: expected === 'no_stream' ? 0 : expected === 'any' ? null : expected,
        n: index + 1,
        event_id: eventIds[index],
        type: event.type,
        schema_version: event.schemaVersion ?? 1,
        data: event.data,
        metadata: event.metadata,
      })),
    );
    if (rows.length === 1) {
      const [row] = rows;
      // One event (the common command) goes as plain parameters: a JSON document costs more to build and unpack.
      const { rows: appended } = await db.query<AppendedRow>({
        name: `${this.schema}.appendOne`,
        text: this.appendOneStatement,
        values: [
          row.stream_id,
          row.expected,
          row.event_id,
          row.type,
          row.schema_version,
          JSON.stringify(row.data),
          JSON.stringify(row.metadata),
        ],
      });
      return appended;
    }
    const { rows: appended } = await db.query<AppendedRow>({
      name: `${this.schema}.append`,
      text: this.appendStatement,
      values: [JSON.stringify(rows)],
    });
    return appended;
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
    const read = { streamId, fromVersion: options.fromVersion ?? 0 };
    const events = (
      options.client ? (await this.readStreams([read], options.client))[0] : await this.streamReads.call(read)
    ) as StoredEvent<Data>[];
    return { events, version: events.length ? events[events.length - 1].streamVersion : read.fromVersion };
  }

  /** Several streams' events in one statement, each in version order. */
  private async readStreams(reads: readonly StreamRead[], db: Queryable = this.pool): Promise<StoredEvent[][]> {
    const { rows } = await db.query<EventRow & { read: string }>({
      name: `${this.schema}.readStreams`,
      // Each stream is looked up by its index: as a plain join (or a LATERAL the planner flattens into one, which
      // OFFSET 0 prevents) the cached plan, planned for an array of unknown length, hashed the whole log at every read.
      text: `SELECT r.read, e.*
               FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS r (stream_id, from_version, read)
               CROSS JOIN LATERAL (
                 SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events
                  WHERE events.stream_id = r.stream_id AND events.stream_version > r.from_version
                 OFFSET 0
               ) AS e
              ORDER BY r.read, e.stream_version`,
      values: [reads.map((read) => read.streamId), reads.map((read) => read.fromVersion)],
    });
    const events: StoredEvent[][] = reads.map(() => []);
    for (const row of rows) events[Number(row.read) - 1].push(toStoredEvent(row));
    return events;
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
    const checkpoint = {
      transactionId: rows[0].checkpoint_transaction_id,
      globalPosition: rows[0].checkpoint_global_position,
    };
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

/** What `EventStore.signals` emits after an append of an event of this type committed. */
export function appendedSignal(type: string): string {
  return `appended:${type}`;
}

/**
 * One statement for the appends of a group, each event a row: its stream, the version its append expects (null
 * for any, 0 for no stream) and its place in its append. The version guard rides in the WHERE: an exact expected
 * version N needs event N to exist, and the unique (stream_id, stream_version) index refuses N+1 if a concurrent
 * writer got there first. A repeated event id is refused by the unique event_id index; `append` then reports the
 * stored originals.
 */
function appendStatement(schema: string): string {
  // The rows travel as one JSON document: an array of JSON texts would be escaped character by character on the
  // way in and parsed twice by PostgreSQL (the array, then each text).
  return `
    INSERT INTO ${schema}.events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT e.stream_id,
           coalesce(e.expected, (SELECT coalesce(max(stream_version), 0) FROM ${schema}.events WHERE stream_id = e.stream_id)) + e.n,
           e.event_id, e.type, e.schema_version, coalesce(e.data, 'null'), e.metadata
      FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
             AS (stream_id text, expected bigint, n int, event_id uuid, type text, schema_version int, data jsonb, metadata jsonb))
           WITH ORDINALITY AS e (stream_id, expected, n, event_id, type, schema_version, data, metadata, position)
     WHERE e.expected IS NULL OR e.expected = 0
        OR EXISTS (SELECT 1 FROM ${schema}.events WHERE stream_id = e.stream_id AND stream_version = e.expected)
     ORDER BY e.position
    RETURNING global_position, stream_version, event_id`;
}

/** `appendStatement` for a single event, in plain parameters: $1 stream, $2 expected version, then the event. */
function appendOneStatement(schema: string): string {
  return `
    INSERT INTO ${schema}.events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT $1, coalesce($2::bigint, (SELECT coalesce(max(stream_version), 0) FROM ${schema}.events WHERE stream_id = $1)) + 1,
           $3::uuid, $4, $5::int, $6::jsonb, $7::jsonb
     WHERE $2::bigint IS NULL OR $2::bigint = 0
        OR EXISTS (SELECT 1 FROM ${schema}.events WHERE stream_id = $1 AND stream_version = $2::bigint)
    RETURNING global_position, stream_version, event_id`;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
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
