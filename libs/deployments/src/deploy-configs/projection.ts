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

  /**
   * A batch costs two statements whatever its size: each config's events fold into where the batch leaves it (its
   * row, or gone), then one upsert and one delete apply that. A statement per event made a burst of commands cost
   * the deployer a round trip each.
   */
  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    const outcomes = new Map<string, ConfigRow | 'deleted'>();
    for (const stored of events) {
      const event = { type: stored.type, data: stored.data } as DeployConfigEvent;
      const id = event.data.deployConfigId;
      if (event.type === 'DeployConfigDeleted') {
        outcomes.set(id, 'deleted');
        continue;
      }
      const earlier = outcomes.get(id);
      outcomes.set(id, {
        id,
        workspaceId: event.data.workspaceId,
        fields: event.data.fields,
        version: stored.streamVersion,
        createdAt: earlier && earlier !== 'deleted' ? earlier.createdAt : stored.createdAt,
        updatedAt: stored.createdAt,
      });
    }
    const rows = [...outcomes.values()].filter((outcome): outcome is ConfigRow => outcome !== 'deleted');
    const deleted = [...outcomes].filter(([, outcome]) => outcome === 'deleted').map(([id]) => id);
    if (rows.length > 0) await upsert(tx, rows);
    if (deleted.length > 0) await tx.query('DELETE FROM deploy_configs WHERE id = ANY($1::uuid[])', [deleted]);
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE deploy_configs');
  },
};

interface ConfigRow {
  id: string;
  workspaceId: string;
  fields: DeployConfigFields;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Inserts new configs and brings known ones up to date; a known config keeps its creation time. The rows travel as
 * one JSON document: arrays of JSON texts would be escaped character by character and parsed twice.
 */
async function upsert(tx: PoolClient, rows: readonly ConfigRow[]) {
  await tx.query(
    `INSERT INTO deploy_configs (id, workspace_id, name, service_id, source, server_ids, strategy, version, created_at, updated_at)
     SELECT id, workspace_id, name, service_id, source, server_ids, strategy, version, created_at, updated_at
       FROM jsonb_to_recordset($1::jsonb)
         AS r (id uuid, workspace_id text, name text, service_id uuid, source jsonb, server_ids jsonb, strategy jsonb, version int,
               created_at timestamptz, updated_at timestamptz)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, service_id = excluded.service_id, source = excluded.source,
       server_ids = excluded.server_ids, strategy = excluded.strategy, version = excluded.version,
       updated_at = excluded.updated_at`,
    [
      JSON.stringify(
        rows.map((row) => ({
          id: row.id,
          workspace_id: row.workspaceId,
          name: row.fields.name,
          service_id: row.fields.serviceId,
          source: row.fields.source,
          server_ids: row.fields.serverIds,
          strategy: row.fields.strategy,
          version: row.version,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
        })),
      ),
    ],
  );
}
