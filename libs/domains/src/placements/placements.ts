import type { DeploymentTarget, EventEnvelope } from '@platform/contracts';
import type { Migration } from '@platform/event-store';
import type { Pool } from 'pg';

/**
 * Where each service runs, as the deployments and servers contexts say on the event stream: the targets of its
 * latest succeeded deployment, less the servers destroyed since. A domain's records and routes follow this.
 */
export const placementsMigration: Migration = {
  id: 'domains/003-placements',
  sql: `
    CREATE TABLE deployment_targets (
      deployment_id uuid PRIMARY KEY, service_id uuid NOT NULL, targets jsonb NOT NULL
    );
    CREATE TABLE service_placements (
      service_id uuid PRIMARY KEY, deployment_id uuid NOT NULL, targets jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `,
};

/** The event types ServicePlacements follows, by context. */
export const PLACEMENT_EVENTS = {
  deployments: ['DeploymentRequested', 'DeploymentSucceeded'],
  servers: ['ServerDestroyed'],
} as const;

export class ServicePlacements {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /** Takes one event of the stream into account; others are ignored. Repeating one changes nothing. */
  async follow(event: EventEnvelope): Promise<void> {
    const data = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'DeploymentRequested':
        await this.pool.query(
          `INSERT INTO ${this.schema}.deployment_targets (deployment_id, service_id, targets) VALUES ($1, $2, $3)
           ON CONFLICT (deployment_id) DO NOTHING`,
          [data.deploymentId, data.serviceId, JSON.stringify(data.targets)],
        );
        return;
      case 'DeploymentSucceeded':
        await this.pool.query(
          `INSERT INTO ${this.schema}.service_placements (service_id, deployment_id, targets)
             SELECT service_id, deployment_id, targets FROM ${this.schema}.deployment_targets WHERE deployment_id = $1
           ON CONFLICT (service_id) DO UPDATE SET deployment_id = excluded.deployment_id, targets = excluded.targets,
             updated_at = now()`,
          [data.deploymentId],
        );
        return;
      case 'ServerDestroyed':
        await this.pool.query(
          `UPDATE ${this.schema}.service_placements
              SET targets = (SELECT COALESCE(jsonb_agg(t), '[]') FROM jsonb_array_elements(targets) t
                              WHERE t->>'serverId' <> $1),
                  updated_at = now()
            WHERE targets @> jsonb_build_array(jsonb_build_object('serverId', $1::text))`,
          [data.serverId],
        );
        return;
    }
  }

  /** The servers the service runs on now, by server id. */
  async targetsOf(serviceId: string): Promise<DeploymentTarget[]> {
    const { rows } = await this.pool.query<{ targets: DeploymentTarget[] }>(
      `SELECT targets FROM ${this.schema}.service_placements WHERE service_id = $1`,
      [serviceId],
    );
    return [...(rows[0]?.targets ?? [])].sort((a, b) => a.serverId.localeCompare(b.serverId));
  }
}
