import { webhookEvents } from '@platform/contracts';
import type { Projection, StoredEvent } from '@platform/event-store';
import type { PoolClient } from 'pg';
import type { WebhookEndpointEvent } from './decider';

/**
 * The `webhook_endpoints` read model: one row per live endpoint, with its sealed secrets. It answers the list and
 * get queries, and tells the delivery process where an event goes and how to sign it.
 */
export const webhookEndpointsProjection: Projection = {
  name: 'webhook_endpoints',
  eventTypes: webhookEvents.map((definition) => definition.type),
  migrations: [
    {
      id: 'webhooks/001-endpoints',
      sql: `
        CREATE TABLE webhook_endpoints (
          id uuid PRIMARY KEY,
          workspace_id text NOT NULL,
          url text NOT NULL,
          description text NOT NULL,
          event_types text[] NOT NULL,
          enabled boolean NOT NULL,
          disabled_reason text,
          sealed_secret text NOT NULL,
          previous_sealed_secret text,
          previous_valid_until timestamptz,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        );
        CREATE INDEX webhook_endpoints_by_workspace ON webhook_endpoints (workspace_id, created_at DESC, id DESC);
      `,
    },
  ],

  /** Endpoints change a few times a day: one statement per event keeps each change plain. */
  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    for (const stored of events) {
      const event = { type: stored.type, data: stored.data } as WebhookEndpointEvent;
      const at = stored.createdAt;
      switch (event.type) {
        case 'WebhookEndpointCreated': {
          const { endpointId, workspaceId, fields, sealedSecret } = event.data;
          await tx.query(
            `INSERT INTO webhook_endpoints (id, workspace_id, url, description, event_types, enabled, sealed_secret,
                                            created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, true, $6, $7, $7) ON CONFLICT (id) DO NOTHING`,
            [endpointId, workspaceId, fields.url, fields.description, fields.eventTypes, sealedSecret, at],
          );
          break;
        }
        case 'WebhookEndpointUpdated': {
          const { endpointId, fields, enabled } = event.data;
          await tx.query(
            `UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, enabled = $5,
                    disabled_reason = CASE WHEN $5 THEN NULL ELSE 'paused' END, updated_at = $6
              WHERE id = $1`,
            [endpointId, fields.url, fields.description, fields.eventTypes, enabled, at],
          );
          break;
        }
        case 'WebhookSecretRotated': {
          const { endpointId, sealedSecret, previousValidUntil } = event.data;
          await tx.query(
            `UPDATE webhook_endpoints SET previous_sealed_secret = sealed_secret, sealed_secret = $2,
                    previous_valid_until = $3, updated_at = $4
              WHERE id = $1`,
            [endpointId, sealedSecret, previousValidUntil, at],
          );
          break;
        }
        case 'WebhookEndpointDisabled':
          await tx.query(
            'UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = $3 WHERE id = $1',
            [event.data.endpointId, event.data.reason, at],
          );
          break;
        case 'WebhookEndpointDeleted':
          await tx.query('DELETE FROM webhook_endpoints WHERE id = $1', [event.data.endpointId]);
          break;
      }
    }
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE webhook_endpoints');
  },
};
