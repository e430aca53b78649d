import {
  agentVersionStatus,
  decodeCursor,
  DomainError,
  pageFromRows,
  type ListSnapshots,
  type QueryParams,
  type QueryResult,
  type SnapshotView,
} from '@platform/contracts';
import type { Pool } from 'pg';

interface SnapshotRow {
  id: string;
  name: string;
  provider: SnapshotView['provider'];
  region: string;
  status: SnapshotView['status'];
  step: SnapshotView['step'];
  provider_snapshot_id: string | null;
  agent_version: string;
  regions: string[];
  size_gb: number | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, provider, region, status, step, provider_snapshot_id, agent_version, regions, size_gb, failure_reason, created_at, updated_at';

function toView(row: SnapshotRow): SnapshotView {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    region: row.region,
    status: row.status,
    step: row.step,
    providerSnapshotId: row.provider_snapshot_id,
    agentVersion: row.agent_version,
    agentOutdated: agentVersionStatus(row.agent_version) !== 'current',
    regions: row.regions,
    sizeGb: row.size_gb,
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Reads of the snapshots read model, always within one workspace. */
export class SnapshotQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async list(
    workspaceId: string,
    params: QueryParams<typeof ListSnapshots>,
  ): Promise<QueryResult<typeof ListSnapshots>> {
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const { rows } = await this.pool.query<SnapshotRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.snapshots
        WHERE workspace_id = $1 ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [workspaceId, params.limit + 1, after[0], after[1]] : [workspaceId, params.limit + 1],
    );
    return pageFromRows(rows, params.limit, (row) => [row.created_at.toISOString(), row.id], toView);
  }

  async get(workspaceId: string, snapshotId: string): Promise<SnapshotView> {
    const { rows } = await this.pool.query<SnapshotRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.snapshots WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, snapshotId],
    );
    if (!rows[0]) throw new DomainError('not_found', `snapshot ${snapshotId} does not exist`);
    return toView(rows[0]);
  }

  /** The newest ready snapshot of the workspace in the region, for a server that names none. */
  async newestReady(workspaceId: string, region: string): Promise<SnapshotView | undefined> {
    const { rows } = await this.pool.query<SnapshotRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.snapshots
        WHERE workspace_id = $1 AND status = 'ready' AND $2 = ANY (regions) ORDER BY created_at DESC LIMIT 1`,
      [workspaceId, region],
    );
    return rows[0] && toView(rows[0]);
  }

  /** How many of the workspace's snapshots are being built or deleted (both need its DigitalOcean token). */
  async countInProgress(workspaceId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.schema}.snapshots WHERE workspace_id = $1 AND status IN ('building', 'deleting')`,
      [workspaceId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Snapshots with work in progress, for the building process to carry on. */
  async inProgress(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${this.schema}.snapshots WHERE status IN ('building', 'deleting') ORDER BY updated_at`,
    );
    return rows.map((row) => row.id);
  }
}
