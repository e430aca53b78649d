import { decodeCursor, DomainError, pageFromRows, publicEvent, type EventEnvelope } from '@platform/contracts';
import { runMigrations } from '@platform/event-store';
import type { AuditChange, AuditLog } from '@platform/identity';
import type { Pool } from 'pg';

export interface FeedFilter {
  readonly workspaceId: string;
  readonly types?: readonly string[];
  readonly deploymentId?: string;
}

export interface FeedEntry {
  readonly sequence: number;
  readonly event: EventEnvelope;
}

/** An event on its way into the feed, with the audit entry of the request that caused it, if any. */
export interface ArrivingEvent extends FeedEntry {
  readonly audit?: AuditChange;
}

/** The deployment an event belongs to, when it names one. */
export function deploymentIdOf(event: EventEnvelope): string | undefined {
  const id = (event.data as { deploymentId?: unknown } | null)?.deploymentId;
  return typeof id === 'string' ? id : undefined;
}

export function matches(filter: FeedFilter, event: EventEnvelope): boolean {
  return (
    event.metadata.workspaceId === filter.workspaceId &&
    (!filter.types?.length || filter.types.includes(event.type)) &&
    (filter.deploymentId === undefined || deploymentIdOf(event) === filter.deploymentId)
  );
}

/**
 * The gateway's copy of the EVENTS stream, indexed by workspace and event id: it turns an SSE `Last-Event-ID`
 * into a stream position and replays what a client missed, scoped to its workspace, from PostgreSQL.
 */
export class EventFeed {
  /** @param audit where the audit entries derived from events are recorded, with the events that carry them */
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly audit: AuditLog,
  ) {}

  async migrate(): Promise<void> {
    await runMigrations(this.pool, this.schema, [
      {
        id: 'gateway/002-event-feed',
        sql: `CREATE TABLE event_feed (
                sequence bigint PRIMARY KEY,
                event_id uuid NOT NULL UNIQUE,
                workspace_id text NOT NULL,
                type text NOT NULL,
                deployment_id text,
                envelope jsonb NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now()
              );
              CREATE INDEX event_feed_by_workspace ON event_feed (workspace_id, sequence);`,
      },
    ]);
  }

  async lastSequence(): Promise<number> {
    const { rows } = await this.pool.query<{ last: string | null }>(
      `SELECT max(sequence) AS last FROM ${this.schema}.event_feed`,
    );
    return Number(rows[0].last ?? 0);
  }

  /**
   * Records events in one insert, and the audit entries they carry in the same transaction: the feed's last
   * sequence is where a restarted gateway reads EVENTS from, so an entry is recorded exactly when its event is.
   * The rows travel as one JSON document, not as six arrays: an array of JSON texts is escaped character by
   * character on the way in and parsed twice by PostgreSQL (the array, then each text).
   */
  async record(entries: readonly ArrivingEvent[]): Promise<void> {
    if (entries.length === 0) return;
    const audits = entries.flatMap((entry) => (entry.audit ? [entry.audit] : []));
    const rows = entries.map((entry) => ({
      sequence: entry.sequence,
      event_id: entry.event.eventId,
      workspace_id: entry.event.metadata.workspaceId,
      type: entry.event.type,
      deployment_id: deploymentIdOf(entry.event) ?? null,
      envelope: entry.event,
    }));
    const insert = `INSERT INTO ${this.schema}.event_feed (sequence, event_id, workspace_id, type, deployment_id, envelope)
       SELECT sequence, event_id, workspace_id, type, deployment_id, envelope
         FROM jsonb_to_recordset($1::jsonb)
           AS r (sequence bigint, event_id uuid, workspace_id text, type text, deployment_id text, envelope jsonb)
       ON CONFLICT DO NOTHING`;
    if (audits.length === 0) {
      await this.pool.query(insert, [JSON.stringify(rows)]);
      return;
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await this.audit.record(audits, client);
      await client.query(insert, [JSON.stringify(rows)]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The stream position of an event of this workspace, or a refusal that says how to carry on. */
  async sequenceOf(workspaceId: string, eventId: string): Promise<number> {
    const valid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(eventId);
    const { rows } = valid
      ? await this.pool.query<{ sequence: string }>(
          `SELECT sequence FROM ${this.schema}.event_feed WHERE event_id = $1 AND workspace_id = $2`,
          [eventId, workspaceId],
        )
      : { rows: [] };
    if (!rows[0]) {
      throw new DomainError(
        'validation_failed',
        'Last-Event-ID is not an event of this workspace (or it is older than the events kept); reconnect without it to follow live events',
      );
    }
    return Number(rows[0].sequence);
  }

  /** The position to follow from so that the last `count` events matching the filter come first. */
  async sequenceBeforeLast(filter: FeedFilter, count: number): Promise<number> {
    const { rows } = await this.pool.query<{ sequence: string }>(
      `SELECT sequence FROM ${this.schema}.event_feed
        WHERE workspace_id = $1
          AND ($2::text[] IS NULL OR type = ANY($2::text[]))
          AND ($3::text IS NULL OR deployment_id = $3)
        ORDER BY sequence DESC OFFSET $4 LIMIT 1`,
      [filter.workspaceId, filter.types?.length ? filter.types : null, filter.deploymentId ?? null, count - 1],
    );
    return rows[0] ? Number(rows[0].sequence) - 1 : 0;
  }

  async after(filter: FeedFilter, sequence: number, limit = 500): Promise<FeedEntry[]> {
    const { rows } = await this.pool.query<{ sequence: string; envelope: EventEnvelope }>(
      `SELECT sequence, envelope FROM ${this.schema}.event_feed
        WHERE workspace_id = $1 AND sequence > $2
          AND ($3::text[] IS NULL OR type = ANY($3::text[]))
          AND ($4::text IS NULL OR deployment_id = $4)
        ORDER BY sequence LIMIT $5`,
      [filter.workspaceId, sequence, filter.types?.length ? filter.types : null, filter.deploymentId ?? null, limit],
    );
    // Events recorded before their type's public fields were narrowed are narrowed on the way out too.
    return rows.flatMap((row) => {
      const event = publicEvent(row.envelope);
      return event ? [{ sequence: Number(row.sequence), event }] : [];
    });
  }

  /**
   * A page of the workspace's past events, newest first, as clients see them: of some types, by one actor, or
   * naming one resource (any id among the event's data, top level).
   */
  async history(
    filter: { workspaceId: string; types?: readonly string[]; actor?: string; resourceId?: string },
    page: { limit: number; cursor?: string },
  ): Promise<{ items: EventEnvelope[]; nextCursor: string | null }> {
    const before = page.cursor ? Number(decodeCursor(page.cursor, 1)[0]) : null;
    const { rows } = await this.pool.query<{ sequence: string; envelope: EventEnvelope }>(
      `SELECT sequence, envelope FROM ${this.schema}.event_feed
        WHERE workspace_id = $1
          AND ($2::bigint IS NULL OR sequence < $2)
          AND ($3::text[] IS NULL OR type = ANY($3::text[]))
          AND ($4::text IS NULL OR envelope->'metadata'->>'actorId' = $4)
          AND ($5::text IS NULL OR deployment_id = $5
               OR EXISTS (SELECT 1 FROM jsonb_each(CASE jsonb_typeof(envelope->'data') WHEN 'object' THEN envelope->'data' ELSE '{}' END) AS field
                           WHERE field.value = to_jsonb($5::text)))
        ORDER BY sequence DESC LIMIT $6`,
      [
        filter.workspaceId,
        before,
        filter.types?.length ? filter.types : null,
        filter.actor ?? null,
        filter.resourceId ?? null,
        page.limit + 1,
      ],
    );
    const { items, nextCursor } = pageFromRows(
      rows,
      page.limit,
      (row) => [Number(row.sequence)],
      (row) => publicEvent(row.envelope),
    );
    return { items: items.filter((event): event is EventEnvelope => event !== undefined), nextCursor };
  }

  async prune(olderThanDays: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${this.schema}.event_feed WHERE received_at < now() - make_interval(days => $1)`,
      [olderThanDays],
    );
  }
}
