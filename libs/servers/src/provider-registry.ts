import { DomainError, type Provider } from '@platform/contracts';
import type { CloudProvider } from './cloud-provider';

/** Which cloud a workspace's server lives on. DigitalOcean needs the workspace's saved token. */
export interface ProviderRegistry {
  providerFor(workspaceId: string, provider: Provider): Promise<CloudProvider>;
}

/** The providers this installation offers; a provider it does not offer is refused with a clear reason. */
export class StaticProviderRegistry implements ProviderRegistry {
  constructor(private readonly providers: Partial<Record<Provider, CloudProvider>>) {}

  providerFor(_workspaceId: string, provider: Provider): Promise<CloudProvider> {
    const found = this.providers[provider];
    if (!found) {
      return Promise.reject(
        new DomainError('validation_failed', `the ${provider} provider is not set up on this platform; use one of: ${Object.keys(this.providers).join(', ')}`),
      );
    }
    return Promise.resolve(found);
  }
}
