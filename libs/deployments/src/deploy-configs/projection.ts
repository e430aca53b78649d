import { deployConfigEvents, type DeployConfigFields } from '@platform/contracts';
import type { Projection, StoredEvent } from '@platform/event-store';
import type { PoolClient } from 'pg';
import type { DeployConfigEvent } from './decider';

/** The `deploy_configs` read model: one row per live deploy config, answering the list and get queries. */
export const deployConfigsProjection: Projection = {
  name: 'deploy_configs',
  eventTypes: deployConfigEvents.map((definition) => definition.type),
  migrations: [
    {
      id: 'deploy-configs/001-read-model',
      sql: `
        CREATE TABLE deploy_configs (
          id uuid PRIMARY KEY,
          workspace_id text NOT NULL,
          name text NOT NULL,
          service_id uuid NOT NULL,
          source jsonb NOT NULL,
          server_ids jsonb NOT NULL,
          strategy jsonb,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        );
        CREATE INDEX deploy_configs_by_workspace ON deploy_configs (workspace_id, created_at DESC, id DESC);
      `,
    },
  ],

  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    for (const stored of events) {
      const event = { type: stored.type, data: stored.data } as DeployConfigEvent;
      switch (event.type) {
        case 'DeployConfigCreated':
          await upsert(tx, event.data.deployConfigId, event.data.workspaceId, event.data.fields, stored);
          break;
        case 'DeployConfigUpdated':
          await upsert(tx, event.data.deployConfigId, event.data.workspaceId, event.data.fields, stored);
          break;
        case 'DeployConfigDeleted':
          await tx.query('DELETE FROM deploy_configs WHERE id = $1', [event.data.deployConfigId]);
          break;
      }
    }
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE deploy_configs');
  },
};

async function upsert(tx: PoolClient, id: string, workspaceId: string, fields: DeployConfigFields, stored: StoredEvent) {
  await tx.query(
    `INSERT INTO deploy_configs (id, workspace_id, name, service_id, source, server_ids, strategy, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, service_id = excluded.service_id, source = excluded.source,
       server_ids = excluded.server_ids, strategy = excluded.strategy, version = excluded.version,
       updated_at = excluded.updated_at`,
    [
      id,
      workspaceId,
      fields.name,
      fields.serviceId,
      JSON.stringify(fields.source),
      JSON.stringify(fields.serverIds),
      fields.strategy ? JSON.stringify(fields.strategy) : null,
      stored.streamVersion,
      stored.createdAt,
    ],
  );
}
