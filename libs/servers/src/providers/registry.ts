import { DomainError, type Provider } from '@platform/contracts';
import type { CloudProvider, ProvisioningCloudProvider } from './cloud-provider';
import type { ProviderCredentials } from './credentials';

/** Which cloud a workspace's server lives on. DigitalOcean needs the workspace's saved token. */
export interface ProviderRegistry {
  providerFor(workspaceId: string, provider: Provider): Promise<CloudProvider>;
  /** DigitalOcean with the workspace's token: placement, snapshots and the catalogue besides servers. */
  digitalOceanFor(workspaceId: string): Promise<ProvisioningCloudProvider>;
}

export interface WorkspaceProviderRegistryOptions {
  readonly local: CloudProvider;
  readonly credentials: ProviderCredentials;
  readonly digitalOcean: (token: string) => ProvisioningCloudProvider;
}

/** Clients are kept per saved token: a new token (or none) is seen on the next call, on every replica. */
export class WorkspaceProviderRegistry implements ProviderRegistry {
  private readonly clients = new Map<string, ProvisioningCloudProvider>();

  constructor(private readonly options: WorkspaceProviderRegistryOptions) {}

  providerFor(workspaceId: string, provider: Provider): Promise<CloudProvider> {
    return provider === 'local' ? Promise.resolve(this.options.local) : this.digitalOceanFor(workspaceId);
  }

  async digitalOceanFor(workspaceId: string): Promise<ProvisioningCloudProvider> {
    const sealed = await this.options.credentials.sealedTokenOf(workspaceId, 'digitalocean');
    if (!sealed) {
      throw new DomainError(
        'validation_failed',
        'this workspace has no DigitalOcean token: save one first (PUT /v1/providers/digitalocean, or Settings → Providers)',
      );
    }
    const cached = this.clients.get(sealed);
    if (cached) return cached;
    const client = this.options.digitalOcean(this.options.credentials.open(workspaceId, 'digitalocean', sealed));
    if (this.clients.size >= 1000) this.clients.clear();
    this.clients.set(sealed, client);
    return client;
  }
}
