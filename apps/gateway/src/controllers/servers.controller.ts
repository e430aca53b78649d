import { Inject, Injectable } from '@nestjs/common';
import {
  apiRoutes,
  DestroyServer,
  GetServer,
  ListRegions,
  ListServers,
  ListSizes,
  ProvisionServer,
  RefreshServer,
} from '@platform/contracts';
import {
  checkSnapshotForServer,
  completeServerRequest,
  Route,
  type CommandGateway,
  type RouteCall,
} from '@platform/http-api';
import { COMMANDS } from '../tokens';

@Injectable()
export class ServersController {
  constructor(@Inject(COMMANDS) private readonly commands: CommandGateway) {}

  @Route(apiRoutes.listServers)
  list({ request, input }: RouteCall<typeof apiRoutes.listServers>) {
    return this.commands.relay(request, ListServers, input.query);
  }

  @Route(apiRoutes.getServer)
  get({ request, input }: RouteCall<typeof apiRoutes.getServer>) {
    return this.commands.relay(request, GetServer, { serverId: input.params.id });
  }

  @Route(apiRoutes.provisionServer)
  async provision({ request, input }: RouteCall<typeof apiRoutes.provisionServer>) {
    const spec = await completeServerRequest(this.commands, request, input.body);
    if (spec.snapshotId) await checkSnapshotForServer(this.commands, request, spec.snapshotId, spec);
    const serverId = this.commands.newId(request, 'server');
    const commandId = await this.commands.send(request, ProvisionServer, { serverId, spec });
    return { serverId, commandId };
  }

  @Route(apiRoutes.destroyServer)
  async destroy({ request, input }: RouteCall<typeof apiRoutes.destroyServer>) {
    const serverId = input.params.id;
    await this.commands.query(request, GetServer, { serverId });
    const commandId = await this.commands.send(request, DestroyServer, { serverId, force: input.query.force ?? false });
    return { serverId, commandId };
  }

  @Route(apiRoutes.refreshServer)
  async refresh({ request, input }: RouteCall<typeof apiRoutes.refreshServer>) {
    const serverId = input.params.id;
    await this.commands.query(request, GetServer, { serverId });
    const commandId = await this.commands.send(request, RefreshServer, { serverId });
    return { serverId, commandId };
  }

  @Route(apiRoutes.listRegions)
  regions({ request, input }: RouteCall<typeof apiRoutes.listRegions>) {
    return this.commands.relay(request, ListRegions, { provider: input.params.provider });
  }

  @Route(apiRoutes.listSizes)
  sizes({ request, input }: RouteCall<typeof apiRoutes.listSizes>) {
    return this.commands.relay(request, ListSizes, { provider: input.params.provider });
  }
}
