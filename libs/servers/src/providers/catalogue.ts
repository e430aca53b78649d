import { DomainError, type Provider, type QueryResult, type ListRegions, type ListSizes } from '@platform/contracts';
import type { ProviderRegistry } from './registry';

type Regions = QueryResult<typeof ListRegions>['items'];
type Sizes = QueryResult<typeof ListSizes>['items'];

const LOCAL: { regions: Regions; sizes: Sizes } = {
  regions: [{ slug: 'local', name: 'This machine', available: true }],
  sizes: [{ slug: 'local', memoryMb: 0, vcpus: 0, diskGb: 0, priceMonthly: 0, regions: ['local'] }],
};

/** Regions and sizes change rarely; every provisioning form asks for them. */
const CACHE_MS = 5 * 60_000;

/**
 * The regions and sizes a workspace can pick from: fixed for this machine, DigitalOcean's own (with the
 * workspace's token) otherwise. A token DigitalOcean no longer accepts is the caller's input to fix, not a
 * failed login: it is reported as `validation_failed`, saying where to save a new one.
 */
export class ProviderCatalogue {
  private readonly cache = new Map<string, { at: number; value: Promise<{ regions: Regions; sizes: Sizes }> }>();

  constructor(private readonly providers: ProviderRegistry) {}

  async regions(workspaceId: string, provider: Provider): Promise<Regions> {
    return (await this.of(workspaceId, provider)).regions;
  }

  async sizes(workspaceId: string, provider: Provider): Promise<Sizes> {
    return (await this.of(workspaceId, provider)).sizes;
  }

  private of(workspaceId: string, provider: Provider): Promise<{ regions: Regions; sizes: Sizes }> {
    if (provider === 'local') return Promise.resolve(LOCAL);
    const cached = this.cache.get(workspaceId);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
    const value = this.fetchDigitalOcean(workspaceId);
    this.cache.set(workspaceId, { at: Date.now(), value });
    value.catch(() => this.cache.delete(workspaceId));
    return value;
  }

  private async fetchDigitalOcean(workspaceId: string): Promise<{ regions: Regions; sizes: Sizes }> {
    const cloud = await this.providers.digitalOceanFor(workspaceId);
    try {
      const [regions, sizes] = await Promise.all([cloud.listRegions(), cloud.listSizes()]);
      return {
        regions: regions.map(({ slug, name, available }) => ({ slug, name, available })),
        sizes: sizes
          .filter((size) => size.available)
          .map((size) => ({
            slug: size.slug,
            memoryMb: size.memoryMegabytes,
            vcpus: size.vcpus,
            diskGb: size.diskGigabytes,
            priceMonthly: size.priceMonthlyUsd,
            regions: [...size.regions],
          })),
      };
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'unauthorized' || error.code === 'forbidden')) {
        throw new DomainError(
          'validation_failed',
          `DigitalOcean no longer accepts this workspace's token (${error.message}); save a new one in Settings → Providers`,
        );
      }
      throw error;
    }
  }

  /** A new token may see other regions: forget what the old one saw. */
  forget(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }
}
