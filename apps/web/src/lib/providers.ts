/** Cloud providers in the console: what each is for, and their connected state live from the event stream. */
import type { EventData, EventEnvelope, ProviderConnected, ProviderName, ProviderView } from '@platform/contracts';

export interface ProviderInfo {
  readonly title: string;
  /** What connecting it gives the workspace. */
  readonly gives: string;
  /** Where to get a token, for those that take one. */
  readonly tokenHelp?: string;
}

export const providerInfo: Record<ProviderName, ProviderInfo> = {
  local: {
    title: 'Local',
    gives:
      'Servers on this machine, each with its own agent and nginx on a loopback address. Always available: there is nothing to connect.',
  },
  digitalocean: {
    title: 'DigitalOcean',
    gives: 'Servers (droplets) and the snapshots they start from.',
    tokenHelp:
      'Create a personal access token with read and write scopes in the DigitalOcean control panel, under API → Tokens.',
  },
  cloudflare: {
    title: 'Cloudflare',
    gives: 'DNS records and origin certificates for your domains.',
    tokenHelp:
      'Create an API token with the Zone → DNS → Edit permission in the Cloudflare dashboard, under My Profile → API Tokens.',
  },
};

/** Providers in a fixed order: the ones that take a token first, this machine last. */
const ORDER: readonly ProviderName[] = ['digitalocean', 'cloudflare', 'local'];

export function sortProviders(items: readonly ProviderView[]): ProviderView[] {
  return [...items].sort((a, b) => ORDER.indexOf(a.provider) - ORDER.indexOf(b.provider));
}

export const PROVIDER_EVENT_TYPES = ['ProviderConnected', 'ProviderDisconnected'] as const;

export function isProviderEvent(event: EventEnvelope): boolean {
  return (PROVIDER_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** Applies `ProviderConnected` / `ProviderDisconnected` to the providers' views. */
export function applyProviderEvent(items: readonly ProviderView[], event: EventEnvelope): readonly ProviderView[] {
  switch (event.type) {
    case 'ProviderConnected': {
      const data = event.data as EventData<typeof ProviderConnected>;
      return items.map((item) =>
        item.provider === data.provider
          ? { ...item, connected: true, account: data.account, verifiedAt: data.verifiedAt }
          : item,
      );
    }
    case 'ProviderDisconnected': {
      const provider = (event.data as { provider: string }).provider;
      return items.map((item) =>
        item.provider === provider ? { ...item, connected: false, account: null, verifiedAt: null } : item,
      );
    }
    default:
      return items;
  }
}
