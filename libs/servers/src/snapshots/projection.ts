import { snapshotEvents } from '@platform/contracts';
import type { Projection, StoredEvent } from '@platform/event-store';
import type { PoolClient } from 'pg';
import type { SnapshotEvent } from './decider';

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
