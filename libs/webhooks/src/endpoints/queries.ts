import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type GetWebhookEndpoint,
  type ListWebhookEndpoints,
  type QueryParams,
  type QueryResult,
  type WebhookDisabledReason,
  type WebhookView,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface EndpointRow {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: WebhookDisabledReason | null;
  previous_valid_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** An endpoint as the delivery process needs it: where, and the sealed secrets that sign. */
export interface DeliveryTarget {
  readonly id: string;
  readonly workspaceId: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly sealedSecret: string;
  /** Signs beside the current one until `previousValidUntil`, after a rotation. */
  readonly previousSealedSecret: string | null;
  readonly previousValidUntil: Date | null;
}

const COLUMNS =
  'id, url, description, event_types, enabled, disabled_reason, previous_valid_until, created_at, updated_at';

/** Reads of the webhook_endpoints read model: the API's always within one workspace. */
export class WebhookEndpointQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(
    workspaceId: string,
    params: QueryParams<typeof ListWebhookEndpoints>,
  ): Promise<QueryResult<typeof ListWebhookEndpoints>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<EndpointRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.webhook_endpoints
        WHERE workspace_id = $1 ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''}
        ORDER BY created_at DESC, id DESC
        LIMIT $2`,
      after ? [workspaceId, params.limit + 1, after[0], after[1]] : [workspaceId, params.limit + 1],
    );
    return pageFromRows(rows, params.limit, (row) => [row.created_at.toISOString(), row.id], toView);
  }

  async get(
    workspaceId: string,
    params: QueryParams<typeof GetWebhookEndpoint>,
  ): Promise<QueryResult<typeof GetWebhookEndpoint>> {
    const { rows } = await this.pool.query<EndpointRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.webhook_endpoints WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.endpointId],
    );
    if (!rows[0]) throw new DomainError('not_found', `webhook ${params.endpointId} does not exist`);
    return toView(rows[0]);
  }

  async target(endpointId: string): Promise<DeliveryTarget | undefined> {
    const { rows } = await this.pool.query<{
      id: string;
      workspace_id: string;
      url: string;
      enabled: boolean;
      sealed_secret: string;
      previous_sealed_secret: string | null;
      previous_valid_until: Date | null;
    }>(
      `SELECT id, workspace_id, url, enabled, sealed_secret, previous_sealed_secret, previous_valid_until
         FROM ${this.schema}.webhook_endpoints WHERE id = $1`,
      [endpointId],
    );
    const row = rows[0];
    return (
      row && {
        id: row.id,
        workspaceId: row.workspace_id,
        url: row.url,
        enabled: row.enabled,
        sealedSecret: row.sealed_secret,
        previousSealedSecret: row.previous_sealed_secret,
        previousValidUntil: row.previous_valid_until,
      }
    );
  }
}

function toView(row: EndpointRow): WebhookView {
  const rotating = row.previous_valid_until && row.previous_valid_until > new Date() ? row.previous_valid_until : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    previousSecretValidUntil: rotating?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
