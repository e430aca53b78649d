import type { EventEnvelope } from './messages';

/**
 * The fields of an event's data a client may see: `true` shows the value as it is, `'names'` shows an object's
 * keys with masked values (environment variables, whose values are sealed), and a nested object picks from an
 * object, or from each element of an array.
 */
export type ShownFields = { readonly [field: string]: true | 'names' | ShownFields };

const deploySource = { type: true, image: true, url: true, ref: true, uploadId: true } as const;
const deployConfigFields = {
  name: true,
  serviceId: true,
  source: deploySource,
  serverIds: true,
  strategy: true,
} as const;

const webhookFields = { url: true, eventTypes: true, description: true } as const;

/**
 * What each event type shows on the event stream (and to anything built on it). Sealed values (agents' secrets,
 * environment values) are never listed; an event type without an entry is not sent at all, so a new event shows
 * nothing until someone decides here what of it may leave.
 */
export const PUBLIC_EVENT_FIELDS: Readonly<Record<string, ShownFields>> = {
  DeployConfigCreated: { deployConfigId: true, workspaceId: true, fields: deployConfigFields },
  DeployConfigUpdated: { deployConfigId: true, workspaceId: true, fields: deployConfigFields },
  DeployConfigDeleted: { deployConfigId: true, workspaceId: true, name: true },
  ServerChecked: { serverId: true, reachable: true, agentVersion: true, checkedAt: true },
  ServerCreated: { serverId: true, providerServerId: true, publicIp: true, agentUrl: true, edge: true },
  ServerDestroyFailed: { serverId: true, reason: true },
  ServerDestroyRequested: { serverId: true, force: true },
  ServerDestroyed: { serverId: true },
  ServerProvisionFailed: { serverId: true, step: true, reason: true },
  ServerProvisionRequested: { serverId: true, workspaceId: true, spec: true, requestedAt: true },
  ServerReady: { serverId: true, agentVersion: true },
  ProviderConnected: { provider: true, account: true, verifiedAt: true },
  ProviderDisconnected: { provider: true },
  SnapshotBuilderCreated: { snapshotId: true, builderServerId: true, agentUrl: true },
  SnapshotBuilderReady: { snapshotId: true, agentVersion: true },
  SnapshotDeleteFailed: { snapshotId: true, reason: true },
  SnapshotDeleteRequested: { snapshotId: true },
  SnapshotDeleted: { snapshotId: true },
  SnapshotFailed: { snapshotId: true, step: true, reason: true },
  SnapshotReady: { snapshotId: true },
  SnapshotRequested: { snapshotId: true, workspaceId: true, spec: true, agentVersion: true, requestedAt: true },
  SnapshotTaken: { snapshotId: true, providerSnapshotId: true, regions: true, sizeGb: true },
  ProjectCreated: { projectId: true, workspaceId: true, name: true },
  ServiceCreated: {
    serviceId: true,
    projectId: true,
    workspaceId: true,
    name: true,
    port: true,
    healthCheckPath: true,
    env: 'names',
  },
  ServiceUpdated: { serviceId: true, port: true, healthCheckPath: true, setEnv: 'names', unsetEnv: true },
  DeploymentRequested: {
    deploymentId: true,
    serviceId: true,
    workspaceId: true,
    source: deploySource,
    tag: true,
    targets: { serverId: true, agentUrl: true, publicIp: true, edgeHttpPort: true },
    env: 'names',
    port: true,
    healthCheckPath: true,
    batchSize: true,
    rollbackOf: true,
    requestedAt: true,
  },
  DeploymentLogged: { deploymentId: true, serverId: true, step: true, lines: true },
  ImageReady: { deploymentId: true, serverId: true, image: true, how: true, agentMs: true, registryImage: true },
  ServerSwitched: {
    deploymentId: true,
    serverId: true,
    container: true,
    image: true,
    switchedAfterMs: true,
    agentMs: true,
  },
  ServerDeployFailed: { deploymentId: true, serverId: true, reason: true },
  ServerRolledBack: { deploymentId: true, serverId: true, container: true, reason: true },
  DeploymentSucceeded: { deploymentId: true, durationMs: true },
  DeploymentFailed: { deploymentId: true, serverId: true, reason: true, durationMs: true },
  DomainAdded: {
    domainId: true,
    workspaceId: true,
    serviceId: true,
    hostname: true,
    proxied: true,
    certificate: true,
    addedAt: true,
  },
  DnsRecordsSet: { domainId: true, zone: true, records: { serverId: true, type: true, content: true } },
  CertificateIssued: { domainId: true, method: true, issuer: true, notBefore: true, notAfter: true },
  CertificateRenewed: { domainId: true, issuer: true, notBefore: true, notAfter: true },
  CertificateRenewalFailed: { domainId: true, attempt: true, reason: true, retryAt: true },
  DomainActive: { domainId: true, serverIds: true },
  DomainFailed: { domainId: true, step: true, reason: true },
  DomainRemovalRequested: { domainId: true, workspaceId: true, hostname: true },
  DomainRemoved: { domainId: true, workspaceId: true, hostname: true },
  // Never the sealed signing secret.
  WebhookEndpointCreated: { endpointId: true, workspaceId: true, fields: webhookFields },
  WebhookEndpointUpdated: { endpointId: true, workspaceId: true, fields: webhookFields, enabled: true },
  WebhookEndpointDeleted: { endpointId: true, workspaceId: true },
  WebhookSecretRotated: { endpointId: true, workspaceId: true, previousValidUntil: true },
  WebhookEndpointDisabled: { endpointId: true, workspaceId: true, url: true, reason: true, detail: true },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Names kept, values masked as the service queries show them. */
const maskedValues = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(values).map((name) => [name, '••••••••']));

function pick(value: unknown, shown: ShownFields): unknown {
  if (Array.isArray(value)) return value.map((element) => pick(element, shown));
  if (!isObject(value)) return undefined;
  const picked: Record<string, unknown> = {};
  for (const [field, how] of Object.entries(shown)) {
    if (!(field in value)) continue;
    const inner = value[field];
    if (how === true) picked[field] = inner;
    else if (how === 'names') picked[field] = isObject(inner) ? maskedValues(inner) : undefined;
    else picked[field] = pick(inner, how);
  }
  return picked;
}

/**
 * An event as API clients see it: only the fields its type lists in PUBLIC_EVENT_FIELDS, or nothing (undefined)
 * for a type that lists none. The services' own copy keeps everything; this is what leaves the platform.
 */
export function publicEvent(event: EventEnvelope): EventEnvelope | undefined {
  const shown = PUBLIC_EVENT_FIELDS[event.type];
  // The request's origin (address, user agent, credential) is the audit log's, not every member's.
  const { origin: _origin, ...metadata } = event.metadata;
  return shown && { ...event, data: pick(event.data, shown), metadata };
}
