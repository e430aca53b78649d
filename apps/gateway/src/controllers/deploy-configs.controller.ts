import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { DeployConfigsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class DeployConfigsController {
  constructor(@Inject(DeployConfigsResource) private readonly deployConfigs: DeployConfigsResource) {}

  @Route(apiRoutes.listDeployConfigs)
  list({ request, input }: RouteCall<typeof apiRoutes.listDeployConfigs>) {
    return this.deployConfigs.list(request, input.query);
  }

  @Route(apiRoutes.getDeployConfig)
  get({ request, input }: RouteCall<typeof apiRoutes.getDeployConfig>) {
    return this.deployConfigs.get(request, input.params.id);
  }

  @Route(apiRoutes.createDeployConfig)
  create({ request, input }: RouteCall<typeof apiRoutes.createDeployConfig>) {
    return this.deployConfigs.create(request, input.body);
  }

  @Route(apiRoutes.updateDeployConfig)
  update({ request, input }: RouteCall<typeof apiRoutes.updateDeployConfig>) {
    return this.deployConfigs.update(request, input.params.id, input.body);
  }

  @Route(apiRoutes.deleteDeployConfig)
  delete({ request, input }: RouteCall<typeof apiRoutes.deleteDeployConfig>) {
    return this.deployConfigs.delete(request, input.params.id);
  }
}
