/** How the console tells people what an event of the API means. */
import type {
  DeployConfigCreated,
  DeployConfigDeleted,
  DeployConfigUpdated,
  EventData,
  EventEnvelope,
  ProviderConnected,
  SnapshotFailed,
  SnapshotRequested,
  WebhookEndpointDisabled,
} from '@platform/contracts';
import { shortId } from './format';
import { providerInfo } from './providers';

/** Provider names as people write them; the raw name for one this console does not know. */
function providerTitle(provider: string): string {
  return (providerInfo as Record<string, { title: string } | undefined>)[provider]?.title ?? provider;
}

/** What Activity shows of the workspace's events: some types, one actor's (a user id), or those naming one id. */
export interface EventFilter {
  readonly types?: readonly string[];
  readonly actor?: string;
  readonly resourceId?: string;
}

/** Whether an event passes the filter, as `GET /v1/events/history` decides it for past events. */
export function matchesFilter(event: EventEnvelope, filter: EventFilter): boolean {
  const data = (event.data ?? {}) as Record<string, unknown>;
  return (
    (!filter.types?.length || filter.types.includes(event.type)) &&
    (filter.actor === undefined || event.metadata.actorId === filter.actor) &&
    (filter.resourceId === undefined || Object.values(data).includes(filter.resourceId))
  );
}

/**
 * Events from several sources (arriving live, pages of the past) as one list, newest first: each event once, those
 * the filter passes.
 */
export function mergeEvents(sources: readonly (readonly EventEnvelope[])[], filter: EventFilter): EventEnvelope[] {
  const seen = new Set<string>();
  const merged: EventEnvelope[] = [];
  for (const event of sources.flat()) {
    if (seen.has(event.eventId) || !matchesFilter(event, filter)) continue;
    seen.add(event.eventId);
    merged.push(event);
  }
  return merged.sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
}

export interface EventDescription {
  readonly title: string;
  /** Where to see the thing the event is about, when it still exists. */
  readonly href?: string;
}

/** `ServerProvisioned` → `Server provisioned`: a readable title for event types this console does not know yet. */
export function humanizeType(type: string): string {
  const words = type.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words[0].toUpperCase() + words.slice(1);
}

export function describeEvent(event: EventEnvelope): EventDescription {
  switch (event.type) {
    case 'DeployConfigCreated': {
      const data = event.data as EventData<typeof DeployConfigCreated>;
      return { title: `Deploy config “${data.fields.name}” created`, href: `/deploy-configs/${data.deployConfigId}` };
    }
    case 'DeployConfigUpdated': {
      const data = event.data as EventData<typeof DeployConfigUpdated>;
      return { title: `Deploy config “${data.fields.name}” updated`, href: `/deploy-configs/${data.deployConfigId}` };
    }
    case 'DeployConfigDeleted': {
      const data = event.data as EventData<typeof DeployConfigDeleted>;
      return {
        title: data.name
          ? `Deploy config “${data.name}” deleted`
          : `Deploy config ${shortId(data.deployConfigId)} deleted`,
      };
    }
    case 'ProviderConnected': {
      const data = event.data as EventData<typeof ProviderConnected>;
      return { title: `${providerTitle(data.provider)} connected as ${data.account}`, href: '/settings/providers' };
    }
    case 'ProviderDisconnected':
      return {
        title: `${providerTitle((event.data as { provider: string }).provider)} disconnected`,
        href: '/settings/providers',
      };
    case 'SnapshotRequested': {
      const data = event.data as EventData<typeof SnapshotRequested>;
      return {
        title: `Snapshot ${shortId(data.snapshotId)} requested in ${data.spec.region}`,
        href: '/infrastructure#snapshots',
      };
    }
    case 'SnapshotReady':
      return {
        title: `Snapshot ${shortId((event.data as { snapshotId: string }).snapshotId)} ready`,
        href: '/infrastructure#snapshots',
      };
    case 'SnapshotFailed': {
      const data = event.data as EventData<typeof SnapshotFailed>;
      return {
        title: `Snapshot ${shortId(data.snapshotId)} failed at ${data.step}`,
        href: '/infrastructure#snapshots',
      };
    }
    case 'WebhookEndpointDisabled': {
      // The workspace's notice that its endpoint receives nothing more until someone enables it again.
      const data = event.data as EventData<typeof WebhookEndpointDisabled>;
      const why = data.reason === 'gone' ? 'it answered 410 Gone' : 'it failed every attempt for days';
      return { title: `Webhook to ${data.url} disabled: ${why}`, href: '/settings/webhooks' };
    }
    default:
      return { title: humanizeType(event.type) };
  }
}

/** The event in a server-sent message of `GET /v1/events`, or undefined for anything else (an `error` frame). */
export function eventFromMessage(data: string): EventEnvelope | undefined {
  try {
    const value = JSON.parse(data) as Partial<EventEnvelope>;
    return typeof value.eventId === 'string' && typeof value.type === 'string' && typeof value.occurredAt === 'string'
      ? (value as EventEnvelope)
      : undefined;
  } catch {
    return undefined;
  }
}
