import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { Route, ServicesResource, type RouteCall } from '@platform/http-api';

@Injectable()
export class ServicesController {
  constructor(@Inject(ServicesResource) private readonly services: ServicesResource) {}

  @Route(apiRoutes.createService)
  createService({ request, input }: RouteCall<typeof apiRoutes.createService>) {
    return this.services.create(request, input.params.id, input.body);
  }

  @Route(apiRoutes.getService)
  getService({ request, input }: RouteCall<typeof apiRoutes.getService>) {
    return this.services.get(request, input.params.id);
  }

  @Route(apiRoutes.updateService)
  updateService({ request, input }: RouteCall<typeof apiRoutes.updateService>) {
    return this.services.update(request, input.params.id, input.body);
  }
}
