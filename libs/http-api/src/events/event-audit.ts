import type { EventEnvelope } from '@platform/contracts';
import type { AuditChange } from '@platform/identity';

/** The fields naming what an event is about, most specific first: a deployment of a service is the deployment. */
const RESOURCE_FIELDS = [
  ['deploymentId', 'deployment'],
  ['deployConfigId', 'deploy_config'],
  ['snapshotId', 'snapshot'],
  ['serverId', 'server'],
  ['serviceId', 'service'],
  ['projectId', 'project'],
  ['provider', 'provider'],
] as const;

function resourceOf(event: EventEnvelope): AuditChange['resource'] {
  const data = (event.data ?? {}) as Record<string, unknown>;
  for (const [field, type] of RESOURCE_FIELDS) {
    const id = data[field];
    if (typeof id === 'string') return { type, id };
  }
  return undefined;
}

/**
 * The audit entry of the command that decided this event, when a person or token sent it through the API (its
 * metadata carries the request's origin); undefined for events of the services' own work. Keyed by the command
 * id (the event's own for a change made through a query), so the several events of one command, or one event read
 * again, make one entry.
 */
export function auditChangeOf(event: EventEnvelope): AuditChange | undefined {
  const { origin, commandId, workspaceId, actorId, correlationId } = event.metadata;
  if (!origin) return undefined;
  return {
    id: commandId ?? event.eventId,
    action: origin.action,
    workspaceId,
    actor: { kind: origin.actorKind, userId: actorId, name: origin.actorName, credentialId: origin.credentialId },
    resource: resourceOf(event),
    request: { requestId: correlationId, ip: origin.ip, userAgent: origin.userAgent },
    occurredAt: new Date(event.occurredAt),
  };
}
