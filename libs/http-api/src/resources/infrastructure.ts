import {
  CreateSnapshot,
  DeleteSnapshot,
  DomainError,
  GetSnapshot,
  ListProviders,
  ListRegions,
  ListSizes,
  ListSnapshots,
  providerTokenContext,
  RemoveProviderCredentials,
  SaveProviderCredentials,
  type CreateSnapshotRequest,
  type CredentialProvider,
  type ProviderView,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';

/** Verifying a token may wait on the provider's API (and its retries) for a while. */
const VERIFY_TIMEOUT_MS = 20_000;

/** Provider credentials and snapshots; servers are a resource of their own. */
export class InfrastructureResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly secrets: SecretBox,
  ) {}

  providers(request: FastifyRequest) {
    return this.commands.relay(request, ListProviders, {});
  }

  /** Seals the token here, so that it crosses the bus and reaches the provisioner's storage only sealed. */
  saveCredentials(request: FastifyRequest, provider: CredentialProvider, token: string): Promise<ProviderView> {
    const sealedToken = this.secrets.seal(token, providerTokenContext(accessOf(request).workspaceId, provider));
    return this.commands.query(
      request,
      SaveProviderCredentials,
      { provider, sealedToken },
      { timeoutMs: VERIFY_TIMEOUT_MS },
    );
  }

  removeCredentials(request: FastifyRequest, provider: CredentialProvider) {
    return this.commands.relay(request, RemoveProviderCredentials, { provider });
  }

  snapshots(request: FastifyRequest, query: RouteQuery<'listSnapshots'>) {
    return this.commands.relay(request, ListSnapshots, query);
  }

  snapshot(request: FastifyRequest, snapshotId: string) {
    return this.commands.relay(request, GetSnapshot, { snapshotId });
  }

  async createSnapshot(request: FastifyRequest, body: CreateSnapshotRequest) {
    const spec = await this.completeSnapshotRequest(request, body);
    const snapshotId = this.commands.newId(request, 'snapshot');
    const commandId = await this.commands.send(request, CreateSnapshot, { snapshotId, spec });
    return { snapshotId, commandId };
  }

  /** A snapshot still being built is refused now, not after a 202 (the builder droplet is cleaned up by the build). */
  async deleteSnapshot(request: FastifyRequest, snapshotId: string) {
    const snapshot = await this.commands.query(request, GetSnapshot, { snapshotId });
    if (snapshot.status === 'building') {
      throw new DomainError(
        'conflict',
        `snapshot ${snapshotId} is still being built (${snapshot.step ?? 'starting'}); delete it once it is ready or failed`,
      );
    }
    const commandId = await this.commands.send(request, DeleteSnapshot, { snapshotId });
    return { snapshotId, commandId };
  }

  /** A snapshot request checked against the provider's catalogue; the builder's size defaults to the region's smallest. */
  private async completeSnapshotRequest(
    request: FastifyRequest,
    body: CreateSnapshotRequest,
  ): Promise<Required<CreateSnapshotRequest>> {
    const [regions, sizes] = await Promise.all([
      this.commands.query(request, ListRegions, { provider: body.provider }),
      this.commands.query(request, ListSizes, { provider: body.provider }),
    ]);
    const problems: { path: string; message: string }[] = [];
    if (!regions.items.some((item) => item.slug === body.region && item.available)) {
      problems.push({
        path: 'body.region',
        message: `must be one of: ${regions.items
          .filter((r) => r.available)
          .map((r) => r.slug)
          .join(', ')}`,
      });
    }
    const inRegion = sizes.items
      .filter((item) => item.regions.includes(body.region))
      .sort((a, b) => a.priceMonthly - b.priceMonthly);
    const size = body.size ?? inRegion[0]?.slug;
    if (!size || !inRegion.some((item) => item.slug === size)) {
      problems.push({
        path: 'body.size',
        message: `must be one of: ${inRegion.map((s) => s.slug).join(', ') || '(no size in this region)'}`,
      });
    }
    if (problems.length || !size)
      throw new DomainError('validation_failed', `the ${body.provider} provider has no such region or size`, problems);
    return { ...body, size };
  }
}
