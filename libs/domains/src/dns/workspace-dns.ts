import type { Bus } from '@platform/bus';
import { GetSealedProviderToken, providerTokenContext } from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { DnsProvider } from './dns-provider';

/**
 * A workspace's DNS provider, or null when it saved no Cloudflare token: the token is kept sealed by the
 * provisioner, crosses the bus sealed, and is opened here only to call Cloudflare.
 */
export function workspaceDnsProviders(options: {
  readonly bus: Bus;
  readonly secrets: SecretBox;
  /** The Cloudflare adapter for a token (the app picks it: domain libs hold no adapter). */
  readonly cloudflare: (token: string) => DnsProvider;
}): (workspaceId: string) => Promise<DnsProvider | null> {
  return async (workspaceId) => {
    const { sealedToken } = await options.bus.query(GetSealedProviderToken, {
      workspaceId,
      actorId: 'dns',
      correlationId: workspaceId,
      params: { provider: 'cloudflare' },
    });
    if (sealedToken === null) return null;
    const token = options.secrets.open(sealedToken, providerTokenContext(workspaceId, 'cloudflare'));
    return options.cloudflare(token);
  };
}
