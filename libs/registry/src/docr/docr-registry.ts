import { DomainError } from '@platform/contracts';
import { checkNamespace, type ImageRegistry, type RegistryAction, type RegistryAuth } from '../image-registry';

export const DOCR_HOST = 'registry.digitalocean.com';

/**
 * The DigitalOcean API calls the DOCR adapter makes, with the workspace's own token (the provisioner's
 * `DigitalOceanApi` in libs/cloud, contract-tested against the official document, implements them).
 */
export interface DocrApi {
  /** The account's registry, or undefined when it has none (404). */
  getRegistry(): Promise<{ name?: string } | undefined>;
  createRegistry(request: {
    name: string;
    subscription_tier_slug: 'starter' | 'basic' | 'professional';
  }): Promise<{ name?: string }>;
  /** A Docker config.json (`auths`), read-only unless `readWrite`, expiring after `expirySeconds`. */
  dockerCredentials(options: {
    expirySeconds: number;
    readWrite: boolean;
  }): Promise<{ auths: Record<string, { auth?: string }> }>;
}

/**
 * DigitalOcean Container Registry for a workspace on DigitalOcean: the workspace's account has one registry (made
 * on first use), which is the workspace's namespace; credentials come from DigitalOcean, read-only for pulls and
 * read-write for pushes, each expiring after the deployment's window. DOCR scopes them to the whole registry,
 * which is the workspace's own account.
 */
export class DocrRegistry implements ImageRegistry {
  readonly host = DOCR_HOST;

  private constructor(
    private readonly api: DocrApi,
    private readonly workspaceId: string,
    readonly registryName: string,
  ) {}

  /** The account's registry, made (`starter` tier, free) when it has none. */
  static async ensure(api: DocrApi, workspaceId: string, nameIfNew: string): Promise<DocrRegistry> {
    const existing = await api.getRegistry();
    const registry = existing ?? (await api.createRegistry({ name: nameIfNew, subscription_tier_slug: 'starter' }));
    if (!registry.name) throw new DomainError('unavailable', 'DigitalOcean answered a registry without a name');
    return new DocrRegistry(api, workspaceId, registry.name);
  }

  repositoryOf(workspaceId: string, service: string): string {
    this.checkWorkspace(workspaceId);
    return `${this.host}/${this.registryName}/${service}`;
  }

  async credentials(
    workspaceId: string,
    repository: string,
    actions: readonly RegistryAction[],
    ttlSeconds: number,
  ): Promise<RegistryAuth> {
    this.checkWorkspace(workspaceId);
    checkNamespace(this.host, this.registryName, repository);
    const config = await this.api.dockerCredentials({
      expirySeconds: Math.max(ttlSeconds, 60),
      readWrite: actions.includes('push'),
    });
    const encoded = config.auths[this.host]?.auth;
    const decoded = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new DomainError('unavailable', `DigitalOcean answered no credentials for ${this.host}`);
    return { serveraddress: this.host, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  private checkWorkspace(workspaceId: string): void {
    if (workspaceId !== this.workspaceId)
      throw new DomainError('forbidden', `the registry ${this.registryName} belongs to another workspace`);
  }
}
