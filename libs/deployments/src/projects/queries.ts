import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type GetProject,
  type ListProjects,
  type QueryParams,
  type QueryResult,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface ProjectRow {
  id: string;
  name: string;
  created_at: Date;
}

/** Reads of the projects read model (kept by the services projection), always within one workspace. */
export class ProjectQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(workspaceId: string, params: QueryParams<typeof ListProjects>): Promise<QueryResult<typeof ListProjects>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<ProjectRow>(
      `SELECT id, name, created_at FROM ${this.schema}.projects WHERE workspace_id = $1
          ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''} ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [workspaceId, params.limit + 1, after[0], after[1]] : [workspaceId, params.limit + 1],
    );
    return pageFromRows(rows, params.limit, (r) => [r.created_at.toISOString(), r.id], toView);
  }

  async get(workspaceId: string, params: QueryParams<typeof GetProject>): Promise<QueryResult<typeof GetProject>> {
    const { rows } = await this.pool.query<ProjectRow>(
      `SELECT id, name, created_at FROM ${this.schema}.projects WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.projectId],
    );
    if (!rows[0]) throw new DomainError('not_found', `project ${params.projectId} does not exist`);
    return toView(rows[0]);
  }
}

function toView(row: ProjectRow) {
  return { id: row.id, name: row.name, createdAt: row.created_at.toISOString() };
}
