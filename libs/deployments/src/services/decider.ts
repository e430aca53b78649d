import {
  DomainError,
  deployTag,
  type CommandOf,
  type CreateService,
  type DeploymentFailed,
  type DeploymentLogged,
  type DeploymentRequested,
  type DeploymentSucceeded,
  type DeployService,
  type EventOf,
  type ImageReady,
  type RollbackDeployment,
  type SealedEnv,
  type ServerDeployFailed,
  type ServerRolledBack,
  type ServerSwitched,
  type ServiceCreated,
  type ServiceUpdated,
  type UpdateService,
} from '@platform/contracts';
import type { Decider } from '@platform/decider';

type Data<E extends { data: unknown }> = E['data'];

/** Reports of the deployment process; only the deployer itself sends these. */
export type DeploymentProgressCommand =
  | { type: 'RecordLog'; data: Data<EventOf<typeof DeploymentLogged>> }
  | { type: 'RecordImageReady'; data: Data<EventOf<typeof ImageReady>> }
  | { type: 'RecordServerSwitched'; data: Data<EventOf<typeof ServerSwitched>> }
  | { type: 'RecordServerDeployFailed'; data: Data<EventOf<typeof ServerDeployFailed>> }
  | { type: 'RecordServerRolledBack'; data: Data<EventOf<typeof ServerRolledBack>> }
  | { type: 'RecordDeploymentSucceeded'; data: Data<EventOf<typeof DeploymentSucceeded>> }
  | { type: 'RecordDeploymentFailed'; data: Data<EventOf<typeof DeploymentFailed>> };

export type ServiceCommand =
  | CommandOf<typeof CreateService>
  | CommandOf<typeof UpdateService>
  | CommandOf<typeof DeployService>
  | CommandOf<typeof RollbackDeployment>
  | DeploymentProgressCommand;

export type ServiceEvent =
  | EventOf<typeof ServiceCreated>
  | EventOf<typeof ServiceUpdated>
  | EventOf<typeof DeploymentRequested>
  | EventOf<typeof DeploymentLogged>
  | EventOf<typeof ImageReady>
  | EventOf<typeof ServerSwitched>
  | EventOf<typeof ServerDeployFailed>
  | EventOf<typeof ServerRolledBack>
  | EventOf<typeof DeploymentSucceeded>
  | EventOf<typeof DeploymentFailed>;

export type ServerProgress = {
  readonly image?: string;
  readonly container?: string;
  readonly status: 'pending' | 'image_ready' | 'switched' | 'failed' | 'rolled_back';
  readonly reason?: string;
};

export interface Deployment extends Data<EventOf<typeof DeploymentRequested>> {
  readonly status: 'running' | 'rolling_back' | 'succeeded' | 'failed';
  readonly servers: Readonly<Record<string, ServerProgress>>;
  readonly failure?: { readonly serverId: string | null; readonly reason: string };
  /** The image in the workspace's registry every server pulls by digest, once the first server made it. */
  readonly registryImage?: { readonly repository: string; readonly digest: string };
}

export interface KnownService {
  readonly status: 'active';
  readonly workspaceId: string;
  readonly projectId: string;
  readonly name: string;
  readonly port: number;
  readonly healthCheckPath: string;
  readonly env: SealedEnv;
  readonly deployments: Readonly<Record<string, Deployment>>;
  /** The deployment running now, if any: a service deploys one at a time. */
  readonly active?: string;
  /** The last deployment that succeeded: what serves, and what a failed one goes back to. */
  readonly current?: string;
}

export type ServiceState = { readonly status: 'absent' } | KnownService;

export function serviceStreamId(serviceId: string): string {
  return `service-${serviceId}`;
}

const notFound = (serviceId: string) => new DomainError('not_found', `service ${serviceId} does not exist`);

function owned(state: ServiceState, serviceId: string, workspaceId: string): KnownService {
  if (state.status === 'absent' || state.workspaceId !== workspaceId) throw notFound(serviceId);
  return state;
}

function idle(service: KnownService): void {
  if (service.active) {
    throw new DomainError(
      'conflict',
      `deployment ${service.active} of this service is still running; wait until it ends, then deploy again`,
    );
  }
}

function runningDeployment(state: ServiceState, deploymentId: string): Deployment | undefined {
  if (state.status === 'absent') return undefined;
  const deployment = state.deployments[deploymentId];
  return deployment && (deployment.status === 'running' || deployment.status === 'rolling_back')
    ? deployment
    : undefined;
}

function withDeployment(
  state: KnownService,
  deploymentId: string,
  change: (deployment: Deployment) => Deployment,
): KnownService {
  const deployment = state.deployments[deploymentId];
  return deployment ? { ...state, deployments: { ...state.deployments, [deploymentId]: change(deployment) } } : state;
}

function withServer(deployment: Deployment, serverId: string, progress: Partial<ServerProgress>): Deployment {
  const before = deployment.servers[serverId] ?? { status: 'pending' };
  return { ...deployment, servers: { ...deployment.servers, [serverId]: { ...before, ...progress } } };
}

export const serviceDecider: Decider<ServiceCommand, ServiceEvent, ServiceState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state, { metadata, now }) {
    switch (command.type) {
      case 'CreateService':
        if (state.status !== 'absent')
          throw new DomainError('conflict', `service ${command.data.serviceId} exists already`);
        return [{ type: 'ServiceCreated', data: { ...command.data, workspaceId: metadata.workspaceId } }];
      case 'UpdateService': {
        const service = owned(state, command.data.serviceId, metadata.workspaceId);
        return [
          {
            type: 'ServiceUpdated',
            data: {
              serviceId: command.data.serviceId,
              port: command.data.port ?? service.port,
              healthCheckPath: command.data.healthCheckPath ?? service.healthCheckPath,
              setEnv: command.data.setEnv,
              unsetEnv: command.data.unsetEnv,
            },
          },
        ];
      }
      case 'DeployService': {
        const service = owned(state, command.data.serviceId, metadata.workspaceId);
        idle(service);
        const { deploymentId, serviceId, source, targets, env, batchSize } = command.data;
        return [
          {
            type: 'DeploymentRequested',
            data: {
              deploymentId,
              serviceId,
              workspaceId: metadata.workspaceId,
              source,
              tag: deployTag(deploymentId),
              targets,
              env: { ...service.env, ...env },
              port: service.port,
              healthCheckPath: service.healthCheckPath,
              batchSize,
              rollbackOf: null,
              requestedAt: now.toISOString(),
            },
          },
        ];
      }
      case 'RollbackDeployment': {
        const service = owned(state, command.data.serviceId, metadata.workspaceId);
        idle(service);
        const target = service.deployments[command.data.rollbackOf];
        if (!target) throw new DomainError('not_found', `deployment ${command.data.rollbackOf} does not exist`);
        if (target.status !== 'succeeded') {
          throw new DomainError(
            'conflict',
            `deployment ${command.data.rollbackOf} did not succeed, so there is nothing to go back to; pick one that did`,
          );
        }
        return [
          {
            type: 'DeploymentRequested',
            data: {
              deploymentId: command.data.deploymentId,
              serviceId: command.data.serviceId,
              workspaceId: metadata.workspaceId,
              source: target.source,
              // The exact image of that deployment, never `latest`, with its environment as it was.
              tag: target.tag,
              targets: command.data.targets,
              env: target.env,
              port: target.port,
              healthCheckPath: target.healthCheckPath,
              // Back to a version known to work: every server at once (each still cuts over without downtime).
              batchSize: command.data.targets.length,
              rollbackOf: command.data.rollbackOf,
              requestedAt: now.toISOString(),
            },
          },
        ];
      }
      case 'RecordLog':
        return runningDeployment(state, command.data.deploymentId)
          ? [{ type: 'DeploymentLogged', data: command.data }]
          : [];
      case 'RecordImageReady':
        return runningDeployment(state, command.data.deploymentId) ? [{ type: 'ImageReady', data: command.data }] : [];
      case 'RecordServerSwitched':
        return runningDeployment(state, command.data.deploymentId)?.status === 'running'
          ? [{ type: 'ServerSwitched', data: command.data }]
          : [];
      case 'RecordServerDeployFailed':
        return runningDeployment(state, command.data.deploymentId)?.status === 'running'
          ? [{ type: 'ServerDeployFailed', data: command.data }]
          : [];
      case 'RecordServerRolledBack':
        return runningDeployment(state, command.data.deploymentId)?.status === 'rolling_back'
          ? [{ type: 'ServerRolledBack', data: command.data }]
          : [];
      case 'RecordDeploymentSucceeded':
        return runningDeployment(state, command.data.deploymentId)?.status === 'running'
          ? [{ type: 'DeploymentSucceeded', data: command.data }]
          : [];
      case 'RecordDeploymentFailed':
        return runningDeployment(state, command.data.deploymentId)
          ? [{ type: 'DeploymentFailed', data: command.data }]
          : [];
    }
  },

  evolve(state, event) {
    if (event.type === 'ServiceCreated') {
      const { workspaceId, projectId, name, port, healthCheckPath, env } = event.data;
      return { status: 'active', workspaceId, projectId, name, port, healthCheckPath, env, deployments: {} };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'ServiceUpdated': {
        const env = { ...state.env, ...event.data.setEnv };
        for (const name of event.data.unsetEnv) delete env[name];
        return { ...state, port: event.data.port, healthCheckPath: event.data.healthCheckPath, env };
      }
      case 'DeploymentRequested':
        return {
          ...state,
          active: event.data.deploymentId,
          deployments: {
            ...state.deployments,
            [event.data.deploymentId]: {
              ...event.data,
              status: 'running',
              servers: Object.fromEntries(
                event.data.targets.map((target) => [target.serverId, { status: 'pending' as const }]),
              ),
            },
          },
        };
      case 'DeploymentLogged':
        return state;
      case 'ImageReady':
        return withDeployment(state, event.data.deploymentId, (d) =>
          withServer(
            // The project's own word on its port holds for the deployment, and for a rollback to it later.
            {
              ...d,
              ...(event.data.port === undefined ? {} : { port: event.data.port }),
              ...(event.data.registryImage && !d.registryImage ? { registryImage: event.data.registryImage } : {}),
            },
            event.data.serverId,
            { status: 'image_ready', image: event.data.image },
          ),
        );
      case 'ServerSwitched':
        return withDeployment(state, event.data.deploymentId, (d) =>
          withServer(d, event.data.serverId, {
            status: 'switched',
            image: event.data.image,
            container: event.data.container,
          }),
        );
      case 'ServerDeployFailed':
        return withDeployment(state, event.data.deploymentId, (d) => ({
          ...withServer(d, event.data.serverId, { status: 'failed', reason: event.data.reason }),
          status: 'rolling_back',
          failure: { serverId: event.data.serverId, reason: event.data.reason },
        }));
      case 'ServerRolledBack':
        return withDeployment(state, event.data.deploymentId, (d) =>
          withServer(d, event.data.serverId, { status: 'rolled_back', reason: event.data.reason ?? undefined }),
        );
      case 'DeploymentSucceeded':
        return {
          ...withDeployment(state, event.data.deploymentId, (d) => ({ ...d, status: 'succeeded' })),
          active: undefined,
          current: event.data.deploymentId,
        };
      case 'DeploymentFailed':
        return {
          ...withDeployment(state, event.data.deploymentId, (d) => ({
            ...d,
            status: 'failed',
            failure: d.failure ?? { serverId: event.data.serverId, reason: event.data.reason },
          })),
          active: undefined,
        };
    }
  },
};
