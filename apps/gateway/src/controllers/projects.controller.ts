import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { ProjectsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class ProjectsController {
  constructor(@Inject(ProjectsResource) private readonly projects: ProjectsResource) {}

  @Route(apiRoutes.listProjects)
  listProjects({ request, input }: RouteCall<typeof apiRoutes.listProjects>) {
    return this.projects.list(request, input.query);
  }

  @Route(apiRoutes.createProject)
  createProject({ request, input }: RouteCall<typeof apiRoutes.createProject>) {
    return this.projects.create(request, input.body.name);
  }

  @Route(apiRoutes.getProject)
  getProject({ request, input }: RouteCall<typeof apiRoutes.getProject>) {
    return this.projects.get(request, input.params.id);
  }

  @Route(apiRoutes.listServices)
  listServices({ request, input }: RouteCall<typeof apiRoutes.listServices>) {
    return this.projects.listServices(request, input.params.id, input.query);
  }
}
