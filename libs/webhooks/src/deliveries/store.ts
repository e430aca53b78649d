import { randomUUID } from 'node:crypto';
import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type ListWebhookDeliveries,
  type QueryParams,
  type QueryResult,
  type WebhookDeliveryView,
} from '@platform/contracts';
import { runMigrations } from '@platform/event-store';
import type { Pool } from 'pg';
import type { AttemptOutcome } from './sender';

/** A delivery due for an attempt. */
export interface DueDelivery {
  readonly id: string;
  readonly endpointId: string;
  readonly messageId: string;
  readonly body: string;
  /** Counting the one about to be made. */
  readonly attempts: number;
}

/** What an attempt's outcome does to its delivery: done, given up, or tried again at a time. */
export type AttemptVerdict =
  { readonly kind: 'succeeded' } | { readonly kind: 'failed' } | { readonly kind: 'retry'; readonly delayMs: number };

interface DeliveryRow {
  id: string;
  position: string;
  message_id: string;
  event_type: string;
  status: WebhookDeliveryView['status'];
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  latency_ms: number | null;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/**
 * Deliveries in PostgreSQL, one row per event and endpoint: they survive a restart of the sender, and a delivery
 * answered 2xx is marked succeeded in the same statement that records the answer, so it is never taken again.
 */
export class DeliveryStore {
  constructor(
    private readonly pool: Pool,
    readonly schema: string,
  ) {}

  async migrate(): Promise<void> {
    await runMigrations(this.pool, this.schema, [
      {
        id: 'webhooks/002-deliveries',
        sql: `
          CREATE TABLE webhook_deliveries (
            id uuid PRIMARY KEY,
            position bigserial NOT NULL,
            endpoint_id uuid NOT NULL,
            workspace_id text NOT NULL,
            message_id text NOT NULL,
            event_type text NOT NULL,
            body text NOT NULL,
            status text NOT NULL DEFAULT 'pending',
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz,
            last_attempt_at timestamptz,
            latency_ms integer,
            response_status integer,
            response_body text,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz,
            UNIQUE (endpoint_id, message_id)
          );
          CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, position) WHERE status = 'pending';
          CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, position DESC);
          CREATE TABLE webhook_endpoint_health (endpoint_id uuid PRIMARY KEY, failing_since timestamptz NOT NULL);
        `,
      },
    ]);
  }

  /**
   * One delivery for a message to each enabled endpoint of the workspace subscribed to its type, in one statement
   * (the endpoints are this service's own read model); a message seen again (an event redelivered) adds nothing.
   * Returns how many were stored.
   */
  async enqueue(workspaceId: string, message: { id: string; type: string; body: string }): Promise<number> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.schema}.webhook_deliveries (id, endpoint_id, workspace_id, message_id, event_type, body, next_attempt_at)
       SELECT gen_random_uuid(), id, $1, $2, $3, $4, now() FROM ${this.schema}.webhook_endpoints
        WHERE workspace_id = $1 AND enabled AND $3 = ANY(event_types)
       ON CONFLICT (endpoint_id, message_id) DO NOTHING`,
      [workspaceId, message.id, message.type, message.body],
    );
    return rowCount ?? 0;
  }

  async enqueueTest(workspaceId: string, endpointId: string, body: string): Promise<string> {
    const id = randomUUID();
    await this.pool.query(
      `INSERT INTO ${this.schema}.webhook_deliveries (id, endpoint_id, workspace_id, message_id, event_type, body, next_attempt_at)
       VALUES ($1, $2, $3, $4, 'WebhookTest', $5, now())`,
      [id, endpointId, workspaceId, `msg_${id}`, body],
    );
    return id;
  }

  /**
   * Due deliveries of the endpoints that have no attempt under way here (`busy`): up to `perEndpoint` of each, oldest
   * first, for at most `endpoints` endpoints. Only the lease holder sends, so reading is enough: nothing is marked
   * until an attempt's outcome is recorded, and a sender that stops leaves nothing half-taken.
   */
  async due(endpoints: number, perEndpoint: number, busy: readonly string[]): Promise<Map<string, DueDelivery[]>> {
    const { rows } = await this.pool.query<{
      id: string;
      endpoint_id: string;
      message_id: string;
      body: string;
      attempts: number;
    }>(
      `SELECT id, endpoint_id, message_id, body, attempts FROM (
         SELECT id, endpoint_id, message_id, body, attempts, position,
                row_number() OVER (PARTITION BY endpoint_id ORDER BY position) AS nth,
                dense_rank() OVER (ORDER BY endpoint_id) AS endpoint_rank
           FROM ${this.schema}.webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= now() AND NOT (endpoint_id = ANY($3::uuid[]))) due
        WHERE nth <= $2 AND endpoint_rank <= $1
        ORDER BY endpoint_id, position`,
      [endpoints, perEndpoint, busy],
    );
    const byEndpoint = new Map<string, DueDelivery[]>();
    for (const row of rows) {
      const list = byEndpoint.get(row.endpoint_id) ?? [];
      list.push({
        id: row.id,
        endpointId: row.endpoint_id,
        messageId: row.message_id,
        body: row.body,
        attempts: row.attempts + 1,
      });
      byEndpoint.set(row.endpoint_id, list);
    }
    return byEndpoint;
  }

  /** Records an attempt and what follows from it, in one statement. */
  async record(delivery: DueDelivery, outcome: AttemptOutcome, verdict: AttemptVerdict): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.schema}.webhook_deliveries
          SET status = $2, attempts = attempts + 1, last_attempt_at = now(), next_attempt_at = CASE WHEN $2 = 'pending' THEN now() + make_interval(secs => $3::float8 / 1000) END,
              delivered_at = CASE WHEN $2 = 'succeeded' THEN now() END,
              latency_ms = $4, response_status = $5, response_body = $6, error = $7
        WHERE id = $1`,
      [
        delivery.id,
        verdict.kind === 'retry' ? 'pending' : verdict.kind,
        verdict.kind === 'retry' ? verdict.delayMs : 0,
        outcome.latencyMs,
        outcome.status ?? null,
        outcome.responseBody || null,
        outcome.error ?? null,
      ],
    );
  }

  /** A delivery not attempted because its endpoint is gone or disabled. */
  async dropUnsendable(delivery: DueDelivery, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.schema}.webhook_deliveries SET status = 'failed', next_attempt_at = NULL, error = $2 WHERE id = $1`,
      [delivery.id, reason],
    );
  }

  /** Since when the endpoint has failed every attempt (now, if this is its first failure in a row). */
  async failingSince(endpointId: string): Promise<Date> {
    const { rows } = await this.pool.query<{ failing_since: Date }>(
      `INSERT INTO ${this.schema}.webhook_endpoint_health (endpoint_id, failing_since) VALUES ($1, now())
       ON CONFLICT (endpoint_id) DO UPDATE SET failing_since = webhook_endpoint_health.failing_since
       RETURNING failing_since`,
      [endpointId],
    );
    return rows[0].failing_since;
  }

  async markHealthy(endpointId: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.schema}.webhook_endpoint_health WHERE endpoint_id = $1`, [endpointId]);
  }

  async list(
    workspaceId: string,
    params: QueryParams<typeof ListWebhookDeliveries>,
  ): Promise<QueryResult<typeof ListWebhookDeliveries>> {
    const after = params.cursor ? decodeCursor(params.cursor, 1) : undefined;
    const values: unknown[] = [workspaceId, params.endpointId, params.limit + 1];
    const where = [`workspace_id = $1`, `endpoint_id = $2`];
    if (params.status) where.push(`status = $${values.push(params.status)}`);
    if (after) where.push(`position < $${values.push(String(after[0]))}::bigint`);
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT id, position, message_id, event_type, status, attempts, next_attempt_at, last_attempt_at, latency_ms,
              response_status, response_body, error, created_at, delivered_at
         FROM ${this.schema}.webhook_deliveries WHERE ${where.join(' AND ')}
        ORDER BY position DESC LIMIT $3`,
      values,
    );
    return pageFromRows(rows, params.limit, (row) => [row.position], toView);
  }

  /**
   * Sends one delivery again (whatever it came to), or every failed one made since a time; the schedule starts
   * over. Returns how many go out again.
   */
  async redeliver(
    workspaceId: string,
    endpointId: string,
    which: { deliveryId?: string; since?: string },
  ): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.schema}.webhook_deliveries
          SET status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL
        WHERE workspace_id = $1 AND endpoint_id = $2
          AND ${which.deliveryId ? 'id = $3' : "status = 'failed' AND created_at >= $3"}`,
      [workspaceId, endpointId, which.deliveryId ?? which.since],
    );
    if (which.deliveryId && rowCount === 0) {
      throw new DomainError('not_found', `delivery ${which.deliveryId} of webhook ${endpointId} does not exist`);
    }
    return rowCount ?? 0;
  }
}

function toView(row: DeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    messageId: row.message_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    latencyMs: row.latency_ms,
    responseStatus: row.response_status,
    responseBody: row.response_body,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}
