import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type DeployConfigView,
  type GetDeployConfig,
  type ListDeployConfigs,
  type QueryParams,
  type QueryResult,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface DeployConfigRow {
  id: string;
  name: string;
  service_id: string;
  source: DeployConfigView['source'];
  server_ids: string[];
  strategy: DeployConfigView['strategy'] | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, service_id, source, server_ids, strategy, version, created_at, updated_at';

/** Reads of the deploy_configs read model, always within one workspace. */
export class DeployConfigQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(
    workspaceId: string,
    params: QueryParams<typeof ListDeployConfigs>,
  ): Promise<QueryResult<typeof ListDeployConfigs>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<DeployConfigRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.deploy_configs
        WHERE workspace_id = $1 ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''}
        ORDER BY created_at DESC, id DESC
        LIMIT $2`,
      after ? [workspaceId, params.limit + 1, after[0], after[1]] : [workspaceId, params.limit + 1],
    );
    return pageFromRows(rows, params.limit, (row) => [row.created_at.toISOString(), row.id], toView);
  }

  async get(
    workspaceId: string,
    params: QueryParams<typeof GetDeployConfig>,
  ): Promise<QueryResult<typeof GetDeployConfig>> {
    const { rows } = await this.pool.query<DeployConfigRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.deploy_configs WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.deployConfigId],
    );
    if (!rows[0]) throw new DomainError('not_found', `deploy config ${params.deployConfigId} does not exist`);
    return toView(rows[0]);
  }
}

function toView(row: DeployConfigRow): DeployConfigView {
  return {
    id: row.id,
    name: row.name,
    serviceId: row.service_id,
    source: row.source,
    serverIds: row.server_ids,
    ...(row.strategy ? { strategy: row.strategy } : {}),
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
