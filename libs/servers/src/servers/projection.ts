import { serverEvents } from '@platform/contracts';
import type { Projection, StoredEvent } from '@platform/event-store';
import type { PoolClient } from 'pg';
import type { ServerEvent } from './decider';

/** The `servers` read model: one row per server, its status and how to reach it. */
export const serversProjection: Projection = {
  name: 'servers',
  eventTypes: serverEvents.map((definition) => definition.type),
  migrations: [
    {
      id: 'servers/001-read-model',
      sql: `
        CREATE TABLE servers (
          id uuid PRIMARY KEY,
          workspace_id text NOT NULL,
          name text NOT NULL,
          provider text NOT NULL,
          region text NOT NULL,
          size text NOT NULL,
          snapshot_id uuid,
          status text NOT NULL,
          provider_server_id text,
          public_ip text,
          agent_url text,
          sealed_agent_secret text,
          edge jsonb,
          agent_version text,
          failure_reason text,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        );
        CREATE INDEX servers_by_workspace ON servers (workspace_id, created_at DESC, id DESC);
        CREATE INDEX servers_in_progress ON servers (status) WHERE status IN ('provisioning', 'booting', 'destroying');
      `,
    },
  ],

  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    for (const stored of events) {
      const event = { type: stored.type, data: stored.data } as ServerEvent;
      const at = stored.createdAt;
      switch (event.type) {
        case 'ServerProvisionRequested': {
          const { serverId, workspaceId, spec } = event.data;
          await tx.query(
            `INSERT INTO servers (id, workspace_id, name, provider, region, size, snapshot_id, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'provisioning', $8, $8) ON CONFLICT (id) DO NOTHING`,
            [serverId, workspaceId, spec.name, spec.provider, spec.region, spec.size, spec.snapshotId ?? null, at],
          );
          break;
        }
        case 'ServerCreated': {
          const { serverId, providerServerId, publicIp, agentUrl, edge, sealedAgentSecret } = event.data;
          await tx.query(
            `UPDATE servers SET provider_server_id = $2, public_ip = $3, agent_url = $4, edge = $5, sealed_agent_secret = $6,
                    status = CASE WHEN status = 'destroying' THEN status ELSE 'booting' END, updated_at = $7 WHERE id = $1`,
            [serverId, providerServerId, publicIp, agentUrl, JSON.stringify(edge), sealedAgentSecret, at],
          );
          break;
        }
        case 'ServerReady':
          await tx.query(
            `UPDATE servers SET status = 'ready', agent_version = $2, failure_reason = NULL, updated_at = $3 WHERE id = $1`,
            [event.data.serverId, event.data.agentVersion, at],
          );
          break;
        case 'ServerProvisionFailed':
          await tx.query(`UPDATE servers SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1`, [
            event.data.serverId,
            event.data.reason,
            at,
          ]);
          break;
        case 'ServerChecked':
          await tx.query(
            `UPDATE servers SET status = $2, agent_version = coalesce($3, agent_version), failure_reason = $4, updated_at = $5 WHERE id = $1`,
            [
              event.data.serverId,
              event.data.reachable ? 'ready' : 'failed',
              event.data.agentVersion,
              event.data.reachable ? null : 'the agent does not answer',
              at,
            ],
          );
          break;
        case 'ServerDestroyRequested':
          await tx.query(`UPDATE servers SET status = 'destroying', updated_at = $2 WHERE id = $1`, [
            event.data.serverId,
            at,
          ]);
          break;
        case 'ServerDestroyed':
          await tx.query('DELETE FROM servers WHERE id = $1', [event.data.serverId]);
          break;
        case 'ServerDestroyFailed':
          await tx.query(`UPDATE servers SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1`, [
            event.data.serverId,
            `destroying failed: ${event.data.reason}`,
            at,
          ]);
          break;
      }
    }
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE servers');
  },
};
