/** The Overview's view of a service, composed from the public list endpoints: services, deployments, servers. */
import type { DeploymentView } from '@platform/contracts';
import type { ServiceChoice } from './catalog';
import { isRunning, statusLabel, statusTone } from './deployments';

export interface ServiceOverview {
  readonly id: string;
  readonly name: string;
  readonly projectName: string;
  readonly status: { readonly label: string; readonly tone: string };
  /** Where it opens (`GET /v1/services` gives it); only once a deployment runs there. */
  readonly url: string | null;
  /** The deployment it runs now. */
  readonly current: DeploymentView | null;
  /** Names of the servers the current deployment switched over to. */
  readonly servers: readonly string[];
}

/**
 * What a person asks of a service first: does it run, where, which version, on which servers. A deploy in
 * progress, or one that failed, says so; the version running meanwhile stays the current one.
 *
 * @param deployments the service's deployments, newest first, including its current one
 * @param serverNames server ids to names
 */
export function serviceOverview(
  service: ServiceChoice,
  deployments: readonly DeploymentView[],
  serverNames: ReadonlyMap<string, string>,
): ServiceOverview {
  const own = deployments.filter((deployment) => deployment.serviceId === service.id);
  const latest = own[0];
  const current = own.find((deployment) => deployment.id === service.currentDeploymentId) ?? null;
  const status =
    latest && (isRunning(latest.status) || (latest.status === 'failed' && !current))
      ? { label: statusLabel(latest.status), tone: statusTone(latest.status) }
      : latest && latest.status === 'failed' && latest !== current
        ? { label: 'running, last deploy failed', tone: 'warning' }
        : current
          ? { label: 'running', tone: 'success' }
          : { label: 'not deployed', tone: '' };
  return {
    id: service.id,
    name: service.name,
    projectName: service.projectName,
    status,
    url: current ? service.url : null,
    current,
    servers: (current?.servers ?? [])
      .filter((server) => server.status === 'switched')
      .map((server) => serverNames.get(server.serverId) ?? server.serverId.slice(0, 8)),
  };
}
