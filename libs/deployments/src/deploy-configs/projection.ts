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

/** Inserts new configs and brings known ones up to date; a known config keeps its creation time. */
async function upsert(tx: PoolClient, rows: readonly ConfigRow[]) {
  await tx.query(
    `INSERT INTO deploy_configs (id, workspace_id, name, service_id, source, server_ids, strategy, version, created_at, updated_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[], $6::jsonb[], $7::jsonb[], $8::int[],
                          $9::timestamptz[], $10::timestamptz[])
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, service_id = excluded.service_id, source = excluded.source,
       server_ids = excluded.server_ids, strategy = excluded.strategy, version = excluded.version,
       updated_at = excluded.updated_at`,
    [
      rows.map((row) => row.id),
      rows.map((row) => row.workspaceId),
      rows.map((row) => row.fields.name),
      rows.map((row) => row.fields.serviceId),
      rows.map((row) => JSON.stringify(row.fields.source)),
      rows.map((row) => JSON.stringify(row.fields.serverIds)),
      rows.map((row) => (row.fields.strategy ? JSON.stringify(row.fields.strategy) : null)),
      rows.map((row) => row.version),
      rows.map((row) => row.createdAt),
      rows.map((row) => row.updatedAt),
    ],
  );
}
