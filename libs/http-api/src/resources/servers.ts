import {
  DestroyServer,
  DomainError,
  GetServer,
  GetSnapshot,
  ListRegions,
  ListServers,
  ListSizes,
  ProvisionServer,
  RefreshServer,
  type ProvisionServerRequest,
} from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import type { RouteParams, RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';

/**
 * Who may have servers on the platform's own machine (the `local` provider): refuses a workspace that may not.
 * The instance's policy (`Identity.instance`).
 */
export interface LocalServersPolicy {
  mayUseLocalServers(workspaceId: string): Promise<boolean>;
  checkLocalServers(workspaceId: string): Promise<void>;
}

/** Servers, and the regions and sizes of each provider's catalogue. */
export class ServersResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly localServers: LocalServersPolicy,
  ) {}

  list(request: FastifyRequest, query: RouteQuery<'listServers'>) {
    return this.commands.relay(request, ListServers, query);
  }

  get(request: FastifyRequest, serverId: string) {
    return this.commands.relay(request, GetServer, { serverId });
  }

  async provision(request: FastifyRequest, body: ProvisionServerRequest) {
    // Before anything else: a local server can run anything on this machine.
    if (body.provider === 'local') await this.localServers.checkLocalServers(accessOf(request).workspaceId);
    const spec = await this.completeServerRequest(request, body);
    if (spec.snapshotId) await this.checkSnapshotForServer(request, spec.snapshotId, spec);
    const serverId = this.commands.newId(request, 'server');
    const commandId = await this.commands.send(request, ProvisionServer, { serverId, spec });
    return { serverId, commandId };
  }

  async destroy(request: FastifyRequest, serverId: string, force: boolean) {
    await this.commands.query(request, GetServer, { serverId });
    const commandId = await this.commands.send(request, DestroyServer, { serverId, force });
    return { serverId, commandId };
  }

  async refresh(request: FastifyRequest, serverId: string) {
    await this.commands.query(request, GetServer, { serverId });
    const commandId = await this.commands.send(request, RefreshServer, { serverId });
    return { serverId, commandId };
  }

  regions(request: FastifyRequest, provider: RouteParams<'listRegions'>['provider']) {
    return this.commands.relay(request, ListRegions, { provider });
  }

  sizes(request: FastifyRequest, provider: RouteParams<'listSizes'>['provider']) {
    return this.commands.relay(request, ListSizes, { provider });
  }

  /**
   * A server request checked against the provider's catalogue before anything is created: an unknown region or
   * size is refused here, with the ones there are, instead of failing later in the cloud.
   */
  private async completeServerRequest(
    request: FastifyRequest,
    body: ProvisionServerRequest,
  ): Promise<Required<Omit<ProvisionServerRequest, 'snapshotId'>> & Pick<ProvisionServerRequest, 'snapshotId'>> {
    const [regions, sizes] = await Promise.all([
      this.commands.query(request, ListRegions, { provider: body.provider }),
      this.commands.query(request, ListSizes, { provider: body.provider }),
    ]);
    const region = body.region ?? (body.provider === 'local' ? 'local' : undefined);
    const size = body.size ?? (body.provider === 'local' ? 'local' : undefined);
    const problems: { path: string; message: string }[] = [];
    if (!region || !regions.items.some((item) => item.slug === region && item.available)) {
      problems.push({
        path: 'body.region',
        message: `must be one of: ${regions.items
          .filter((r) => r.available)
          .map((r) => r.slug)
          .join(', ')}`,
      });
    }
    if (!size || !sizes.items.some((item) => item.slug === size && (!region || item.regions.includes(region)))) {
      problems.push({ path: 'body.size', message: `must be one of: ${sizes.items.map((s) => s.slug).join(', ')}` });
    }
    if (body.provider === 'local' && body.snapshotId) {
      problems.push({ path: 'body.snapshotId', message: 'local servers are not made from snapshots; leave it out' });
    }
    if (problems.length || !region || !size) {
      throw new DomainError('validation_failed', `the ${body.provider} provider has no such region or size`, problems);
    }
    return { ...body, region, size };
  }

  /** A server booted from a snapshot needs one of the caller's, built and present in the server's region. */
  private async checkSnapshotForServer(
    request: FastifyRequest,
    snapshotId: string,
    server: { provider: string; region: string },
  ): Promise<void> {
    const snapshot = await this.commands.query(request, GetSnapshot, { snapshotId });
    const problem =
      snapshot.provider !== server.provider
        ? `is a ${snapshot.provider} snapshot; the server is on ${server.provider}`
        : snapshot.status !== 'ready'
          ? `is ${snapshot.status}, not ready; wait for it or pick a ready one`
          : !snapshot.regions.includes(server.region)
            ? `is in ${snapshot.regions.join(', ')}, not ${server.region}; pick one of its regions`
            : undefined;
    if (problem)
      throw new DomainError('validation_failed', `snapshot ${snapshotId} ${problem}`, [
        { path: 'body.snapshotId', message: problem },
      ]);
  }
}
