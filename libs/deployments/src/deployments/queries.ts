import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type DeploymentView,
  type GetDeploymentLogs,
  type ListDeployments,
  type ListProjects,
  type ListServices,
  type QueryParams,
  type QueryResult,
  type ServiceView,
} from '@platform/contracts';
import type { Pool } from 'pg';

/** Where a service answers on each of its servers' edges (the Host header nginx routes on). */
export function serviceHostname(serviceName: string): string {
  return `${serviceName}.localhost`;
}

interface ServiceRow {
  id: string;
  project_id: string;
  name: string;
  port: number;
  health_check_path: string;
  env_names: string[];
  current_deployment_id: string | null;
  created_at: Date;
  updated_at: Date;
}

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

const SERVICE_COLUMNS =
  'id, project_id, name, port, health_check_path, env_names, current_deployment_id, created_at, updated_at';
const DEPLOYMENT_COLUMNS =
  'id, service_id, status, image_tag, source, rollback_of, servers, failure_reason, requested_by, requested_at, finished_at, duration_ms';

/** Reads of projects, services and deployments, always within one workspace. */
export class ApplicationQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    /** The port of the front door apps open through (80 unless the platform runs it elsewhere). */
    private readonly frontDoorPort = 80,
  ) {}

  async listProjects(
    workspaceId: string,
    params: QueryParams<typeof ListProjects>,
  ): Promise<QueryResult<typeof ListProjects>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<{ id: string; name: string; created_at: Date }>(
      `SELECT id, name, created_at FROM ${this.schema}.projects WHERE workspace_id = $1
          ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''} ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [workspaceId, params.limit + 1, after[0], after[1]] : [workspaceId, params.limit + 1],
    );
    return pageFromRows(
      rows,
      params.limit,
      (r) => [r.created_at.toISOString(), r.id],
      (r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString() }),
    );
  }

  async getProject(workspaceId: string, projectId: string) {
    const { rows } = await this.pool.query<{ id: string; name: string; created_at: Date }>(
      `SELECT id, name, created_at FROM ${this.schema}.projects WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, projectId],
    );
    if (!rows[0]) throw new DomainError('not_found', `project ${projectId} does not exist`);
    return { id: rows[0].id, name: rows[0].name, createdAt: rows[0].created_at.toISOString() };
  }

  async listServices(
    workspaceId: string,
    params: QueryParams<typeof ListServices>,
  ): Promise<QueryResult<typeof ListServices>> {
    await this.getProject(workspaceId, params.projectId);
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<ServiceRow>(
      `SELECT ${SERVICE_COLUMNS} FROM ${this.schema}.services WHERE workspace_id = $1 AND project_id = $2
          ${after ? 'AND (created_at, id) < ($4::timestamptz, $5::uuid)' : ''} ORDER BY created_at DESC, id DESC LIMIT $3`,
      after
        ? [workspaceId, params.projectId, params.limit + 1, after[0], after[1]]
        : [workspaceId, params.projectId, params.limit + 1],
    );
    return pageFromRows(
      rows,
      params.limit,
      (r) => [r.created_at.toISOString(), r.id],
      (row) => this.toServiceView(row),
    );
  }

  async getService(workspaceId: string, serviceId: string): Promise<ServiceView> {
    const { rows } = await this.pool.query<ServiceRow>(
      `SELECT ${SERVICE_COLUMNS} FROM ${this.schema}.services WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, serviceId],
    );
    if (!rows[0]) throw new DomainError('not_found', `service ${serviceId} does not exist`);
    return this.toServiceView(rows[0]);
  }

  async listDeployments(
    workspaceId: string,
    params: QueryParams<typeof ListDeployments>,
  ): Promise<QueryResult<typeof ListDeployments>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const values: unknown[] = [workspaceId, params.limit + 1, params.serviceId ?? null];
    if (after) values.push(after[0], after[1]);
    const { rows } = await this.pool.query<DeploymentRow>(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM ${this.schema}.deployments
        WHERE workspace_id = $1 AND ($3::uuid IS NULL OR service_id = $3)
          ${after ? 'AND (requested_at, id) < ($4::timestamptz, $5::uuid)' : ''}
        ORDER BY requested_at DESC, id DESC LIMIT $2`,
      values,
    );
    return pageFromRows(rows, params.limit, (r) => [r.requested_at.toISOString(), r.id], toDeploymentView);
  }

  async getDeployment(workspaceId: string, deploymentId: string): Promise<DeploymentView> {
    const { rows } = await this.pool.query<DeploymentRow>(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM ${this.schema}.deployments WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, deploymentId],
    );
    if (!rows[0]) throw new DomainError('not_found', `deployment ${deploymentId} does not exist`);
    return toDeploymentView(rows[0]);
  }

  async deploymentLogs(
    workspaceId: string,
    params: QueryParams<typeof GetDeploymentLogs>,
  ): Promise<QueryResult<typeof GetDeploymentLogs>> {
    await this.getDeployment(workspaceId, params.deploymentId);
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

  private toServiceView(row: ServiceRow): ServiceView {
    const hostname = serviceHostname(row.name);
    return {
      id: row.id,
      projectId: row.project_id,
      name: row.name,
      port: row.port,
      healthCheckPath: row.health_check_path,
      env: row.env_names.map((name) => ({ name, masked: '••••••••' })),
      hostname,
      url: `http://${hostname}${this.frontDoorPort === 80 ? '' : `:${this.frontDoorPort}`}`,
      currentDeploymentId: row.current_deployment_id,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }
}

function toDeploymentView(row: DeploymentRow): DeploymentView {
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
