/** Servers in the console: following their status live from the event stream. */
import type {
  EventData,
  EventEnvelope,
  ServerChecked,
  ServerCreated,
  ServerDestroyFailed,
  ServerProvisionFailed,
  ServerProvisionRequested,
  ServerReady,
  ServerView,
} from '@platform/contracts';

/** Event types that change a server; the console's list applies these and ignores the rest. */
export const SERVER_EVENT_TYPES = [
  'ServerProvisionRequested',
  'ServerCreated',
  'ServerReady',
  'ServerProvisionFailed',
  'ServerChecked',
  'ServerDestroyRequested',
  'ServerDestroyed',
  'ServerDestroyFailed',
] as const;

function update(
  items: readonly ServerView[],
  serverId: string,
  at: string,
  change: Partial<ServerView>,
): readonly ServerView[] {
  return items.map((item) => (item.id === serverId ? { ...item, ...change, updatedAt: at } : item));
}

/**
 * Applies a server event to a list of servers, newest first. A server provisioned elsewhere (another tab, the
 * CLI) appears from its `ServerProvisionRequested`; `expectedAgentVersion` comes from the servers already
 * known (or the one given), so the outdated warning works for it too.
 */
export function applyServerEvent(
  items: readonly ServerView[],
  event: EventEnvelope,
  expectedAgentVersion?: string,
): readonly ServerView[] {
  const at = event.occurredAt;
  switch (event.type) {
    case 'ServerProvisionRequested': {
      const data = event.data as EventData<typeof ServerProvisionRequested>;
      if (items.some((item) => item.id === data.serverId)) return items;
      const expected = expectedAgentVersion ?? items[0]?.expectedAgentVersion ?? '';
      const created: ServerView = {
        id: data.serverId,
        name: data.spec.name,
        provider: data.spec.provider,
        region: data.spec.region,
        size: data.spec.size,
        status: 'provisioning',
        publicIp: null,
        edge: null,
        agentVersion: null,
        agentOutdated: false,
        expectedAgentVersion: expected,
        managed: true,
        failureReason: null,
        createdAt: at,
        updatedAt: at,
      };
      return [created, ...items];
    }
    case 'ServerCreated': {
      const data = event.data as EventData<typeof ServerCreated>;
      return update(items, data.serverId, at, { status: 'booting', publicIp: data.publicIp, edge: data.edge });
    }
    case 'ServerReady': {
      const data = event.data as EventData<typeof ServerReady>;
      return items.map((item) =>
        item.id === data.serverId
          ? {
              ...item,
              status: 'ready',
              agentVersion: data.agentVersion,
              agentOutdated: item.expectedAgentVersion !== '' && data.agentVersion !== item.expectedAgentVersion,
              failureReason: null,
              updatedAt: at,
            }
          : item,
      );
    }
    case 'ServerChecked': {
      const data = event.data as EventData<typeof ServerChecked>;
      if (!data.agentVersion) return items;
      const version = data.agentVersion;
      return items.map((item) =>
        item.id === data.serverId
          ? {
              ...item,
              agentVersion: version,
              agentOutdated: item.expectedAgentVersion !== '' && version !== item.expectedAgentVersion,
              updatedAt: at,
            }
          : item,
      );
    }
    case 'ServerProvisionFailed': {
      const data = event.data as EventData<typeof ServerProvisionFailed>;
      return update(items, data.serverId, at, {
        status: 'failed',
        failureReason: `${data.step} failed: ${data.reason}`,
      });
    }
    case 'ServerDestroyRequested':
      return update(items, (event.data as { serverId: string }).serverId, at, { status: 'destroying' });
    case 'ServerDestroyed':
      return items.filter((item) => item.id !== (event.data as { serverId: string }).serverId);
    case 'ServerDestroyFailed': {
      const data = event.data as EventData<typeof ServerDestroyFailed>;
      return update(items, data.serverId, at, { status: 'failed', failureReason: `destroy failed: ${data.reason}` });
    }
    default:
      return items;
  }
}
