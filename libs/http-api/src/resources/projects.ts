import { CreateProject, GetProject, ListProjects, ListServices } from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';

/** Projects: the groups a workspace's services belong to. */
export class ProjectsResource {
  constructor(private readonly commands: CommandGateway) {}

  list(request: FastifyRequest, query: RouteQuery<'listProjects'>) {
    return this.commands.relay(request, ListProjects, query);
  }

  async create(request: FastifyRequest, name: string) {
    const projectId = this.commands.newId(request, 'project');
    const commandId = await this.commands.send(request, CreateProject, { projectId, name });
    return { projectId, commandId };
  }

  get(request: FastifyRequest, projectId: string) {
    return this.commands.relay(request, GetProject, { projectId });
  }

  listServices(request: FastifyRequest, projectId: string, query: RouteQuery<'listServices'>) {
    return this.commands.relay(request, ListServices, { projectId, ...query });
  }
}
