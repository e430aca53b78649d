import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { ApplicationsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class ApplicationsController {
  constructor(@Inject(ApplicationsResource) private readonly applications: ApplicationsResource) {}

  @Route(apiRoutes.listProjects)
  listProjects({ request, input }: RouteCall<typeof apiRoutes.listProjects>) {
    return this.applications.listProjects(request, input.query);
  }

  @Route(apiRoutes.createProject)
  createProject({ request, input }: RouteCall<typeof apiRoutes.createProject>) {
    return this.applications.createProject(request, input.body.name);
  }

  @Route(apiRoutes.getProject)
  getProject({ request, input }: RouteCall<typeof apiRoutes.getProject>) {
    return this.applications.getProject(request, input.params.id);
  }

  @Route(apiRoutes.listServices)
  listServices({ request, input }: RouteCall<typeof apiRoutes.listServices>) {
    return this.applications.listServices(request, input.params.id, input.query);
  }

  @Route(apiRoutes.createService)
  createService({ request, input }: RouteCall<typeof apiRoutes.createService>) {
    return this.applications.createService(request, input.params.id, input.body);
  }

  @Route(apiRoutes.getService)
  getService({ request, input }: RouteCall<typeof apiRoutes.getService>) {
    return this.applications.getService(request, input.params.id);
  }

  @Route(apiRoutes.updateService)
  updateService({ request, input }: RouteCall<typeof apiRoutes.updateService>) {
    return this.applications.updateService(request, input.params.id, input.body);
  }

  @Route(apiRoutes.createUpload)
  upload({ request }: RouteCall<typeof apiRoutes.createUpload>) {
    return this.applications.upload(request);
  }
}
