import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type DeploymentView,
  type GetDeployment,
  type GetDeploymentLogs,
  type ListDeployments,
  type QueryParams,
  type QueryResult,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface DeploymentRow {
  id: string;
  service_id: string;
  status: DeploymentView['status'];
  image_tag: string;
  source: DeploymentView['source'];
  rollback_of: string | null;
  servers: Record<string, { status: DeploymentView['servers'][number]['status']; reason: string | null; url: string }>;
  failure_reason: string | null;
  requested_by: string;
  requested_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
}

const COLUMNS =
  'id, service_id, status, image_tag, source, rollback_of, servers, failure_reason, requested_by, requested_at, finished_at, duration_ms';

/**
 * Reads of the deployments read model and their logs (kept by the services projection), each within one workspace
 * but `inProgress`, which is the deployment process's.
 */
export class DeploymentQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(
    workspaceId: string,
    params: QueryParams<typeof ListDeployments>,
  ): Promise<QueryResult<typeof ListDeployments>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const values: unknown[] = [workspaceId, params.limit + 1, params.serviceId ?? null];
    if (after) values.push(after[0], after[1]);
    const { rows } = await this.pool.query<DeploymentRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.deployments
        WHERE workspace_id = $1 AND ($3::uuid IS NULL OR service_id = $3)
          ${after ? 'AND (requested_at, id) < ($4::timestamptz, $5::uuid)' : ''}
        ORDER BY requested_at DESC, id DESC LIMIT $2`,
      values,
    );
    return pageFromRows(rows, params.limit, (r) => [r.requested_at.toISOString(), r.id], toView);
  }

  async get(
    workspaceId: string,
    params: QueryParams<typeof GetDeployment>,
  ): Promise<QueryResult<typeof GetDeployment>> {
    const { rows } = await this.pool.query<DeploymentRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.deployments WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.deploymentId],
    );
    if (!rows[0]) throw new DomainError('not_found', `deployment ${params.deploymentId} does not exist`);
    return toView(rows[0]);
  }

  async logs(
    workspaceId: string,
    params: QueryParams<typeof GetDeploymentLogs>,
  ): Promise<QueryResult<typeof GetDeploymentLogs>> {
    await this.get(workspaceId, { deploymentId: params.deploymentId });
    const { rows } = await this.pool.query<{ at: Date; server_id: string | null; step: string; line: string }>(
      `SELECT at, server_id, step, line FROM ${this.schema}.deployment_logs WHERE deployment_id = $1 ORDER BY position, line_no LIMIT 20000`,
      [params.deploymentId],
    );
    return { lines: rows.map((r) => ({ at: r.at.toISOString(), serverId: r.server_id, step: r.step, line: r.line })) };
  }

  /** Deployments not yet ended, with their service, for the deployment process to carry on. */
  async inProgress(): Promise<{ deploymentId: string; serviceId: string }[]> {
    const { rows } = await this.pool.query<{ id: string; service_id: string }>(
      `SELECT id, service_id FROM ${this.schema}.deployments WHERE status IN ('pending', 'building', 'deploying', 'rolling_back') ORDER BY requested_at`,
    );
    return rows.map((row) => ({ deploymentId: row.id, serviceId: row.service_id }));
  }
}

function toView(row: DeploymentRow): DeploymentView {
  return {
    id: row.id,
    serviceId: row.service_id,
    status: row.status,
    imageTag: row.image_tag,
    source: row.source,
    rollbackOf: row.rollback_of,
    servers: Object.entries(row.servers).map(([serverId, server]) => ({
      serverId,
      status: server.status,
      reason: server.reason,
      url: server.url,
    })),
    failureReason: row.failure_reason,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationMs: row.duration_ms,
  };
}
