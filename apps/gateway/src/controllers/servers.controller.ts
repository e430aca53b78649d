import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { Route, ServersResource, type RouteCall } from '@platform/http-api';

@Injectable()
export class ServersController {
  constructor(@Inject(ServersResource) private readonly servers: ServersResource) {}

  @Route(apiRoutes.listServers)
  list({ request, input }: RouteCall<typeof apiRoutes.listServers>) {
    return this.servers.list(request, input.query);
  }

  @Route(apiRoutes.getServer)
  get({ request, input }: RouteCall<typeof apiRoutes.getServer>) {
    return this.servers.get(request, input.params.id);
  }

  @Route(apiRoutes.provisionServer)
  provision({ request, input }: RouteCall<typeof apiRoutes.provisionServer>) {
    return this.servers.provision(request, input.body);
  }

  @Route(apiRoutes.destroyServer)
  destroy({ request, input }: RouteCall<typeof apiRoutes.destroyServer>) {
    return this.servers.destroy(request, input.params.id, input.query.force ?? false);
  }

  @Route(apiRoutes.refreshServer)
  refresh({ request, input }: RouteCall<typeof apiRoutes.refreshServer>) {
    return this.servers.refresh(request, input.params.id);
  }

  @Route(apiRoutes.listRegions)
  regions({ request, input }: RouteCall<typeof apiRoutes.listRegions>) {
    return this.servers.regions(request, input.params.provider);
  }

  @Route(apiRoutes.listSizes)
  sizes({ request, input }: RouteCall<typeof apiRoutes.listSizes>) {
    return this.servers.sizes(request, input.params.provider);
  }
}
