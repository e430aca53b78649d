import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type GetService,
  type ListServices,
  type QueryParams,
  type QueryResult,
  type ServiceView,
} from '@platform/contracts';
import type { Pool } from 'pg';
import { ProjectQueries } from '../projects/queries';
import { serviceHostname } from './hostname';

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

const COLUMNS =
  'id, project_id, name, port, health_check_path, env_names, current_deployment_id, created_at, updated_at';

/** Reads of the services read model, always within one workspace. */
export class ServiceQueries {
  private readonly projects: ProjectQueries;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    /** The port of the front door apps open through (80 unless the platform runs it elsewhere). */
    private readonly frontDoorPort = 80,
  ) {
    this.projects = new ProjectQueries(pool, schema);
  }

  async list(workspaceId: string, params: QueryParams<typeof ListServices>): Promise<QueryResult<typeof ListServices>> {
    await this.projects.get(workspaceId, { projectId: params.projectId });
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<ServiceRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.services WHERE workspace_id = $1 AND project_id = $2
          ${after ? 'AND (created_at, id) < ($4::timestamptz, $5::uuid)' : ''} ORDER BY created_at DESC, id DESC LIMIT $3`,
      after
        ? [workspaceId, params.projectId, params.limit + 1, after[0], after[1]]
        : [workspaceId, params.projectId, params.limit + 1],
    );
    return pageFromRows(
      rows,
      params.limit,
      (r) => [r.created_at.toISOString(), r.id],
      (row) => this.toView(row),
    );
  }

  async get(workspaceId: string, params: QueryParams<typeof GetService>): Promise<QueryResult<typeof GetService>> {
    const { rows } = await this.pool.query<ServiceRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.services WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.serviceId],
    );
    if (!rows[0]) throw new DomainError('not_found', `service ${params.serviceId} does not exist`);
    return this.toView(rows[0]);
  }

  private toView(row: ServiceRow): ServiceView {
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
