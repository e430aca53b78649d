/** Deployments in the console: their progress from events, and how they read on screen. */
import type {
  DeploymentFailed,
  DeploymentLogged,
  DeploymentRequested,
  DeploymentStatus,
  DeploymentSucceeded,
  DeploymentView,
  EventData,
  EventEnvelope,
  ServerDeployFailed,
  ServerRolledBack,
} from '@platform/contracts';

type ServerStatus = DeploymentView['servers'][number]['status'];

export const DEPLOYMENT_EVENT_TYPES = [
  'DeploymentRequested',
  'DeploymentLogged',
  'ImageReady',
  'ServerSwitched',
  'ServerDeployFailed',
  'ServerRolledBack',
  'DeploymentSucceeded',
  'DeploymentFailed',
] as const;

export const RUNNING_STATUSES: readonly DeploymentStatus[] = ['pending', 'building', 'deploying', 'rolling_back'];

export function isRunning(status: DeploymentStatus): boolean {
  return RUNNING_STATUSES.includes(status);
}

/** The status as people read it. */
export function statusLabel(status: DeploymentStatus): string {
  return status === 'rolling_back' ? 'rolling back' : status;
}

export function statusTone(status: DeploymentStatus | ServerStatus): 'success' | 'danger' | 'warning' | 'accent' {
  if (status === 'succeeded' || status === 'switched') return 'success';
  if (status === 'failed') return 'danger';
  if (status === 'rolling_back' || status === 'rolled_back') return 'warning';
  return 'accent';
}

/** `1.8 s`, `2 min 05 s`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** The deployment a `DeploymentRequested` event describes, as the API would list it. */
export function deploymentFromRequested(event: EventEnvelope): DeploymentView {
  const data = event.data as EventData<typeof DeploymentRequested>;
  return {
    id: data.deploymentId,
    serviceId: data.serviceId,
    status: 'pending',
    imageTag: data.tag,
    source: data.source,
    rollbackOf: data.rollbackOf,
    servers: data.targets.map((target) => ({
      serverId: target.serverId,
      status: 'pending',
      reason: null,
      url: `http://${target.publicIp}:${target.edgeHttpPort}`,
    })),
    failureReason: null,
    requestedBy: event.metadata.actorId ?? '',
    requestedAt: data.requestedAt,
    finishedAt: null,
    durationMs: null,
  };
}

function setServer(
  deployment: DeploymentView,
  serverId: string,
  status: ServerStatus,
  reason: string | null,
  phase: DeploymentStatus,
): DeploymentView {
  const ended = deployment.status === 'succeeded' || deployment.status === 'failed';
  const keep = ended || (deployment.status === 'rolling_back' && phase !== 'rolling_back');
  return {
    ...deployment,
    status: keep ? deployment.status : phase,
    servers: deployment.servers.map((server) =>
      server.serverId === serverId ? { ...server, status, reason } : server,
    ),
  };
}

/** Applies one event to one deployment, as the deployer's read model does. */
export function applyToDeployment(deployment: DeploymentView, event: EventEnvelope): DeploymentView {
  const data = event.data as { deploymentId?: string; serverId?: string };
  if (data.deploymentId !== deployment.id) return deployment;
  switch (event.type) {
    case 'ImageReady':
      return setServer(deployment, data.serverId ?? '', 'image_ready', null, 'building');
    case 'ServerSwitched':
      return setServer(deployment, data.serverId ?? '', 'switched', null, 'deploying');
    case 'ServerDeployFailed': {
      const failed = event.data as EventData<typeof ServerDeployFailed>;
      return setServer(deployment, failed.serverId, 'failed', failed.reason, 'rolling_back');
    }
    case 'ServerRolledBack': {
      const rolledBack = event.data as EventData<typeof ServerRolledBack>;
      return setServer(deployment, rolledBack.serverId, 'rolled_back', rolledBack.reason, 'rolling_back');
    }
    case 'DeploymentSucceeded': {
      const done = event.data as EventData<typeof DeploymentSucceeded>;
      return { ...deployment, status: 'succeeded', finishedAt: event.occurredAt, durationMs: done.durationMs };
    }
    case 'DeploymentFailed': {
      const failed = event.data as EventData<typeof DeploymentFailed>;
      return {
        ...deployment,
        status: 'failed',
        failureReason: failed.reason,
        finishedAt: event.occurredAt,
        durationMs: failed.durationMs,
      };
    }
    default:
      return deployment;
  }
}

/**
 * Applies an event to a history list (newest first): a new deployment of one of the listed services (or of
 * any, without `serviceId`) is added on top, the others follow their progress.
 */
export function applyDeploymentEvent(
  items: readonly DeploymentView[],
  event: EventEnvelope,
  serviceId?: string,
): readonly DeploymentView[] {
  if (event.type === 'DeploymentRequested') {
    const created = deploymentFromRequested(event);
    if ((serviceId && created.serviceId !== serviceId) || items.some((item) => item.id === created.id)) return items;
    return [created, ...items];
  }
  const deploymentId = (event.data as { deploymentId?: string }).deploymentId;
  if (!deploymentId || !items.some((item) => item.id === deploymentId)) return items;
  return items.map((item) => applyToDeployment(item, event));
}

export interface LogLine {
  readonly at: string;
  readonly serverId: string | null;
  readonly step: string;
  readonly line: string;
}

/** The lines a `DeploymentLogged` event adds to the log. */
export function logLinesOf(event: EventEnvelope): LogLine[] {
  if (event.type !== 'DeploymentLogged') return [];
  const data = event.data as EventData<typeof DeploymentLogged>;
  return data.lines.map((line) => ({ at: event.occurredAt, serverId: data.serverId, step: data.step, line }));
}

/** One line of the live log for an event that is not a log line itself: what happened, in words. */
export function narrate(event: EventEnvelope, serverName: (id: string) => string): string | undefined {
  const data = event.data as Record<string, string | number | boolean | null | undefined>;
  const server = typeof data.serverId === 'string' ? serverName(data.serverId) : undefined;
  switch (event.type) {
    case 'DeploymentRequested':
      return `deployment requested: image tag ${String(data.tag)}`;
    case 'ImageReady':
      return `${server}: image ready (${String(data.how)})`;
    case 'ServerSwitched':
      return `${server}: switched to the new version`;
    case 'ServerDeployFailed':
      return `${server}: failed: ${String(data.reason)}`;
    case 'ServerRolledBack':
      return `${server}: rolled back${data.reason ? ` (${String(data.reason)})` : ''}`;
    case 'DeploymentSucceeded':
      return `deployment succeeded in ${formatDuration(Number(data.durationMs))}`;
    case 'DeploymentFailed':
      return `deployment failed: ${String(data.reason)}`;
    default:
      return undefined;
  }
}
