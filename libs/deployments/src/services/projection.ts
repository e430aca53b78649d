import { deploymentEvents, projectEvents, serviceEvents } from '@platform/contracts';
import type { Projection, StoredEvent } from '@platform/event-store';
import type { PoolClient } from 'pg';
import type { ProjectEvent } from '../projects/decider';
import type { ServiceEvent } from './decider';
import { serviceNamesMigration } from './service-names';

/**
 * The read models of services with their deployments and projects: lists and details for the API, the per-server
 * progress of each deployment, and its log. One projection for all three, as they are read together: a deployment
 * that succeeds changes its own row and its service's current deployment in one transaction (what serves, as the
 * front routes read it), the deployment process waits on this one checkpoint, and a project's services are listed
 * once the project shows.
 */
export const servicesProjection: Projection = {
  // Stored names (the checkpoint, the applied migration): renaming them would replay or re-create the read models.
  name: 'applications',
  eventTypes: [...projectEvents, ...serviceEvents, ...deploymentEvents].map((definition) => definition.type),
  migrations: [
    {
      id: 'applications/001-read-models',
      sql: `
        CREATE TABLE projects (id uuid PRIMARY KEY, workspace_id text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL);
        CREATE INDEX projects_by_workspace ON projects (workspace_id, created_at DESC, id DESC);
        CREATE TABLE services (
          id uuid PRIMARY KEY, workspace_id text NOT NULL, project_id uuid NOT NULL, name text NOT NULL, port int NOT NULL,
          health_check_path text NOT NULL, env_names text[] NOT NULL,
          current_deployment_id uuid, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
        );
        CREATE INDEX services_by_project ON services (workspace_id, project_id, created_at DESC, id DESC);
        CREATE TABLE deployments (
          id uuid PRIMARY KEY, workspace_id text NOT NULL, service_id uuid NOT NULL, status text NOT NULL, image_tag text NOT NULL,
          source jsonb NOT NULL, rollback_of uuid, servers jsonb NOT NULL, failure_reason text, requested_by text NOT NULL,
          requested_at timestamptz NOT NULL, finished_at timestamptz, duration_ms double precision
        );
        CREATE INDEX deployments_by_workspace ON deployments (workspace_id, requested_at DESC, id DESC);
        CREATE INDEX deployments_by_service ON deployments (workspace_id, service_id, requested_at DESC, id DESC);
        CREATE INDEX deployments_in_progress ON deployments (status) WHERE status IN ('pending', 'building', 'deploying', 'rolling_back');
        CREATE TABLE deployment_logs (
          deployment_id uuid NOT NULL, position bigint NOT NULL, line_no int NOT NULL, server_id uuid, step text NOT NULL,
          line text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (deployment_id, position, line_no)
        );
      `,
    },
    serviceNamesMigration,
  ],

  async handle(events: readonly StoredEvent[], tx: PoolClient) {
    for (const stored of events) {
      const event = { type: stored.type, data: stored.data } as ServiceEvent | ProjectEvent;
      const at = stored.createdAt;
      switch (event.type) {
        case 'ProjectCreated':
          await tx.query(
            'INSERT INTO projects (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
            [event.data.projectId, event.data.workspaceId, event.data.name, at],
          );
          break;
        case 'ServiceCreated': {
          const { serviceId, workspaceId, projectId, name, port, healthCheckPath, env } = event.data;
          await tx.query(
            `INSERT INTO services (id, workspace_id, project_id, name, port, health_check_path, env_names, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING`,
            [serviceId, workspaceId, projectId, name, port, healthCheckPath, Object.keys(env).sort(), at],
          );
          break;
        }
        case 'ServiceUpdated': {
          const { serviceId, port, healthCheckPath, setEnv, unsetEnv } = event.data;
          await tx.query(
            `UPDATE services SET port = $2, health_check_path = $3,
                    env_names = (SELECT coalesce(array_agg(DISTINCT n ORDER BY n), '{}') FROM unnest(env_names || $4::text[]) AS n WHERE NOT n = ANY($5::text[])),
                    updated_at = $6
              WHERE id = $1`,
            [serviceId, port, healthCheckPath, Object.keys(setEnv), unsetEnv, at],
          );
          break;
        }
        case 'DeploymentRequested': {
          const d = event.data;
          const servers = Object.fromEntries(
            d.targets.map((t) => [
              t.serverId,
              { status: 'pending', reason: null, url: `http://${t.publicIp}:${t.edgeHttpPort}` },
            ]),
          );
          await tx.query(
            `INSERT INTO deployments (id, workspace_id, service_id, status, image_tag, source, rollback_of, servers, requested_by, requested_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
            [
              d.deploymentId,
              d.workspaceId,
              d.serviceId,
              d.tag,
              JSON.stringify(d.source),
              d.rollbackOf,
              JSON.stringify(servers),
              stored.metadata.actorId,
              d.requestedAt,
            ],
          );
          break;
        }
        case 'DeploymentLogged':
          await tx.query(
            `INSERT INTO deployment_logs (deployment_id, position, line_no, server_id, step, line, at)
             SELECT $1, $2, n, $3, $4, line, $5 FROM unnest($6::text[]) WITH ORDINALITY AS l(line, n) ON CONFLICT DO NOTHING`,
            [
              event.data.deploymentId,
              stored.globalPosition,
              event.data.serverId,
              event.data.step,
              at,
              event.data.lines,
            ],
          );
          break;
        case 'ImageReady':
          await setServer(tx, event.data.deploymentId, event.data.serverId, 'image_ready', null, 'building');
          break;
        case 'ServerSwitched':
          await setServer(tx, event.data.deploymentId, event.data.serverId, 'switched', null, 'deploying');
          break;
        case 'ServerDeployFailed':
          await setServer(
            tx,
            event.data.deploymentId,
            event.data.serverId,
            'failed',
            event.data.reason,
            'rolling_back',
          );
          break;
        case 'ServerRolledBack':
          await setServer(
            tx,
            event.data.deploymentId,
            event.data.serverId,
            'rolled_back',
            event.data.reason,
            'rolling_back',
          );
          break;
        case 'DeploymentSucceeded':
          await tx.query(
            `UPDATE deployments SET status = 'succeeded', finished_at = $2, duration_ms = $3 WHERE id = $1`,
            [event.data.deploymentId, at, event.data.durationMs],
          );
          await tx.query(
            `UPDATE services SET current_deployment_id = $1, updated_at = $2 WHERE id = (SELECT service_id FROM deployments WHERE id = $1)`,
            [event.data.deploymentId, at],
          );
          break;
        case 'DeploymentFailed':
          await tx.query(
            `UPDATE deployments SET status = 'failed', failure_reason = $2, finished_at = $3, duration_ms = $4 WHERE id = $1`,
            [event.data.deploymentId, event.data.reason, at, event.data.durationMs],
          );
          break;
      }
    }
  },

  async reset(tx: PoolClient) {
    await tx.query('TRUNCATE projects, services, deployments, deployment_logs');
  },
};

async function setServer(
  tx: PoolClient,
  deploymentId: string,
  serverId: string,
  status: string,
  reason: string | null,
  phase: string,
) {
  await tx.query(
    `UPDATE deployments
        SET servers = jsonb_set(servers, ARRAY[$2::text], (servers -> $2::text) || jsonb_build_object('status', $3::text, 'reason', $4::text)),
            status = CASE WHEN status IN ('succeeded', 'failed') OR (status = 'rolling_back' AND $5 <> 'rolling_back') THEN status ELSE $5 END
      WHERE id = $1`,
    [deploymentId, serverId, status, reason, phase],
  );
}
