import {
  agentVersionStatus,
  decodeCursor,
  DomainError,
  pageFromRows,
  snapshotEvents,
  type ListSnapshots,
  type QueryParams,
  type QueryResult,
  type SnapshotView,
} from '@platform/contracts';
import type { Projection, StoredEvent } from '@platform/event-store';
import type { Pool, PoolClient } from 'pg';
import type { SnapshotEvent } from './snapshot-decider';

/** The name a snapshot has at the provider: it says what it carries, and is unique to this snapshot. */
export function snapshotName(snapshotId: string, agentVersion: string): string {
  return `platform-agent-${agentVersion}-${snapshotId.slice(0, 8)}`;
}

/** The `snapshots` read model: one row per snapshot not yet deleted. */
export const snapshotsProjection: Projection = {
  name: 'snapshots',
  eventTypes: snapshotEvents.map((definition) => definition.type),
  migrations: [
    {
      id: 'snapshots/001-read-model',
      sql: `
        CREATE TABLE snapshots (
          id uuid PRIMARY KEY,
          workspace_id text NOT NULL,
          name text NOT NULL,
          provider text NOT NULL,
          region text NOT NULL,
          status text NOT NULL,
          step text,
          provider_snapshot_id text,
          agent_version text NOT NULL,
          regions text[] NOT NULL DEFAULT '{}',
          size_gb double precision,
          failure_reason text,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        );
        CREATE INDEX snapshots_by_workspace ON snapshots (workspace_id, created_at DESC, id DESC);
        CREATE INDEX snapshots_in_progress ON snapshots (status) WHERE status IN ('building', 'deleting');
      `,
    },
  ],

  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    for (const stored of events) {
      const event = { type: stored.type, data: stored.data } as SnapshotEvent;
      const at = stored.createdAt;
      const update = (set: string, ...values: unknown[]) =>
        tx.query(`UPDATE snapshots SET ${set}, updated_at = $2 WHERE id = $1`, [event.data.snapshotId, at, ...values]);
      switch (event.type) {
        case 'SnapshotRequested': {
          const { snapshotId, workspaceId, spec, agentVersion } = event.data;
          await tx.query(
            `INSERT INTO snapshots (id, workspace_id, name, provider, region, status, step, agent_version, regions, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'building', 'create-builder', $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING`,
            [
              snapshotId,
              workspaceId,
              snapshotName(snapshotId, agentVersion),
              spec.provider,
              spec.region,
              agentVersion,
              [spec.region],
              at,
            ],
          );
          break;
        }
        case 'SnapshotBuilderCreated':
          await update(`step = 'wait-for-agent'`);
          break;
        case 'SnapshotBuilderReady':
          await update(`step = 'snapshot'`);
          break;
        case 'SnapshotTaken':
          await update(
            `step = 'remove-builder', provider_snapshot_id = $3, regions = $4, size_gb = $5`,
            event.data.providerSnapshotId,
            event.data.regions,
            event.data.sizeGb,
          );
          break;
        case 'SnapshotReady':
          await update(`status = 'ready', step = NULL, failure_reason = NULL`);
          break;
        case 'SnapshotFailed':
          await update(`status = 'failed', step = NULL, failure_reason = $3`, event.data.reason);
          break;
        case 'SnapshotDeleteRequested':
          await update(`status = 'deleting', step = NULL`);
          break;
        case 'SnapshotDeleted':
          await tx.query('DELETE FROM snapshots WHERE id = $1', [event.data.snapshotId]);
          break;
        case 'SnapshotDeleteFailed':
          await update(
            `status = 'failed', failure_reason = $3`,
            `deleting failed: ${event.data.reason}; delete it again`,
          );
          break;
      }
    }
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE snapshots');
  },
};

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
