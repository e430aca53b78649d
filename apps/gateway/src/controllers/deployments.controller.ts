import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { DeploymentsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class DeploymentsController {
  constructor(@Inject(DeploymentsResource) private readonly deployments: DeploymentsResource) {}

  @Route(apiRoutes.listDeployments)
  list({ request, input }: RouteCall<typeof apiRoutes.listDeployments>) {
    return this.deployments.list(request, input.query);
  }

  @Route(apiRoutes.getDeployment)
  get({ request, input }: RouteCall<typeof apiRoutes.getDeployment>) {
    return this.deployments.get(request, input.params.id);
  }

  @Route(apiRoutes.getDeploymentLogs)
  logs({ request, input }: RouteCall<typeof apiRoutes.getDeploymentLogs>) {
    return this.deployments.logs(request, input.params.id);
  }

  @Route(apiRoutes.createDeployment)
  create({ request, reply, input }: RouteCall<typeof apiRoutes.createDeployment>) {
    return this.deployments.create(request, reply, input.body);
  }

  @Route(apiRoutes.rollbackDeployment)
  rollback({ request, reply, input }: RouteCall<typeof apiRoutes.rollbackDeployment>) {
    return this.deployments.rollback(request, reply, input.params.id, input.query.serverIds);
  }
}
