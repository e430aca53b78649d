import {
  agentVersionStatus,
  decodeCursor,
  DomainError,
  EXPECTED_AGENT_VERSION,
  pageFromRows,
  type GetServerAgent,
  type ListServers,
  type QueryParams,
  type QueryResult,
  type ServerView,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface ServerRow {
  id: string;
  name: string;
  provider: ServerView['provider'];
  region: string;
  size: string;
  status: ServerView['status'];
  public_ip: string | null;
  edge: ServerView['edge'];
  agent_version: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, provider, region, size, status, public_ip, edge, agent_version, failure_reason, created_at, updated_at';

/** Reads of the servers read model, always within one workspace. */
export class ServerQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(workspaceId: string, params: QueryParams<typeof ListServers>): Promise<QueryResult<typeof ListServers>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<ServerRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.servers
        WHERE workspace_id = $1 ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [workspaceId, params.limit + 1, after[0], after[1]] : [workspaceId, params.limit + 1],
    );
    return pageFromRows(rows, params.limit, (row) => [row.created_at.toISOString(), row.id], toView);
  }

  async get(workspaceId: string, serverId: string): Promise<ServerView> {
    const { rows } = await this.pool.query<ServerRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.servers WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, serverId],
    );
    if (!rows[0]) throw new DomainError('not_found', `server ${serverId} does not exist`);
    return toView(rows[0]);
  }

  async agentOf(
    workspaceId: string,
    params: QueryParams<typeof GetServerAgent>,
  ): Promise<QueryResult<typeof GetServerAgent>> {
    const { rows } = await this.pool.query<{
      agent_url: string | null;
      sealed_agent_secret: string | null;
      public_ip: string | null;
      edge: ServerView['edge'];
      status: string;
    }>(
      `SELECT agent_url, sealed_agent_secret, public_ip, edge, status FROM ${this.schema}.servers WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, params.serverId],
    );
    const row = rows[0];
    if (!row) throw new DomainError('not_found', `server ${params.serverId} does not exist`);
    if (row.status !== 'ready' || !row.agent_url || !row.sealed_agent_secret || !row.public_ip || !row.edge) {
      throw new DomainError(
        'conflict',
        `server ${params.serverId} is ${row.status}, not ready; wait until it is ready or pick another`,
        [{ reason: 'server_not_ready', serverId: params.serverId, status: row.status }],
      );
    }
    return {
      serverId: params.serverId,
      agentUrl: row.agent_url,
      sealedAgentSecret: row.sealed_agent_secret,
      publicIp: row.public_ip,
      edge: row.edge,
    };
  }

  /** How many of the workspace's servers are on the provider and not yet destroyed. */
  async countOn(workspaceId: string, provider: ServerView['provider']): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.schema}.servers WHERE workspace_id = $1 AND provider = $2`,
      [workspaceId, provider],
    );
    return rows[0]?.n ?? 0;
  }

  /** Servers with work in progress, for the provisioning process to carry on. */
  async inProgress(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${this.schema}.servers WHERE status IN ('provisioning', 'booting', 'destroying') ORDER BY updated_at`,
    );
    return rows.map((row) => row.id);
  }
}

function toView(row: ServerRow): ServerView {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    region: row.region,
    size: row.size,
    status: row.status,
    publicIp: row.public_ip,
    edge: row.edge,
    agentVersion: row.agent_version,
    agentOutdated: row.agent_version !== null && agentVersionStatus(row.agent_version) !== 'current',
    expectedAgentVersion: EXPECTED_AGENT_VERSION,
    managed: true,
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
