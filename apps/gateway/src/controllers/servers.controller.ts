import { Controller, Inject, Req } from '@nestjs/common';
import { apiRoutes, DestroyServer, GetServer, ListRegions, ListServers, ListSizes, ProvisionServer, RefreshServer } from '@platform/contracts';
import { checkSnapshotForServer, completeServerRequest, Input, Route, type CommandGateway, type RouteInput } from '@platform/http-api';
import type { FastifyRequest } from 'fastify';
import { COMMANDS } from '../tokens';

@Controller()
export class ServersController {
  constructor(@Inject(COMMANDS) private readonly commands: CommandGateway) {}

  @Route(apiRoutes.listServers)
  list(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.listServers>) {
    return this.commands.relay(request, ListServers, input.query);
  }

  @Route(apiRoutes.getServer)
  get(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.getServer>) {
    return this.commands.relay(request, GetServer, { serverId: input.params.id });
  }

  @Route(apiRoutes.provisionServer)
  async provision(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.provisionServer>) {
    const spec = await completeServerRequest(this.commands, request, input.body);
    if (spec.snapshotId) await checkSnapshotForServer(this.commands, request, spec.snapshotId, spec);
    const serverId = this.commands.newId(request, 'server');
    const commandId = await this.commands.send(request, ProvisionServer, { serverId, spec });
    return { serverId, commandId };
  }

  @Route(apiRoutes.destroyServer)
  async destroy(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.destroyServer>) {
    const serverId = input.params.id;
    await this.commands.query(request, GetServer, { serverId });
    const commandId = await this.commands.send(request, DestroyServer, { serverId, force: input.query.force ?? false });
    return { serverId, commandId };
  }

  @Route(apiRoutes.refreshServer)
  async refresh(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.refreshServer>) {
    const serverId = input.params.id;
    await this.commands.query(request, GetServer, { serverId });
    const commandId = await this.commands.send(request, RefreshServer, { serverId });
    return { serverId, commandId };
  }

  @Route(apiRoutes.listRegions)
  regions(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.listRegions>) {
    return this.commands.relay(request, ListRegions, { provider: input.params.provider });
  }

  @Route(apiRoutes.listSizes)
  sizes(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.listSizes>) {
    return this.commands.relay(request, ListSizes, { provider: input.params.provider });
  }
}
