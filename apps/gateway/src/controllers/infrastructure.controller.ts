import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { InfrastructureResource, Route, type RouteCall } from '@platform/http-api';

/** Provider credentials and snapshots; servers have their own controller. */
@Injectable()
export class InfrastructureController {
  constructor(@Inject(InfrastructureResource) private readonly infrastructure: InfrastructureResource) {}

  @Route(apiRoutes.listProviders)
  providers({ request }: RouteCall<typeof apiRoutes.listProviders>) {
    return this.infrastructure.providers(request);
  }

  @Route(apiRoutes.saveProviderCredentials)
  saveCredentials({ request, input }: RouteCall<typeof apiRoutes.saveProviderCredentials>) {
    return this.infrastructure.saveCredentials(request, input.params.provider, input.body.token);
  }

  @Route(apiRoutes.removeProviderCredentials)
  removeCredentials({ request, input }: RouteCall<typeof apiRoutes.removeProviderCredentials>) {
    return this.infrastructure.removeCredentials(request, input.params.provider);
  }

  @Route(apiRoutes.listSnapshots)
  snapshots({ request, input }: RouteCall<typeof apiRoutes.listSnapshots>) {
    return this.infrastructure.snapshots(request, input.query);
  }

  @Route(apiRoutes.getSnapshot)
  snapshot({ request, input }: RouteCall<typeof apiRoutes.getSnapshot>) {
    return this.infrastructure.snapshot(request, input.params.id);
  }

  @Route(apiRoutes.createSnapshot)
  createSnapshot({ request, input }: RouteCall<typeof apiRoutes.createSnapshot>) {
    return this.infrastructure.createSnapshot(request, input.body);
  }

  @Route(apiRoutes.deleteSnapshot)
  deleteSnapshot({ request, input }: RouteCall<typeof apiRoutes.deleteSnapshot>) {
    return this.infrastructure.deleteSnapshot(request, input.params.id);
  }
}
