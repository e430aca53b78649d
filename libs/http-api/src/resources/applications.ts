import type { UploadStore } from '@platform/build';
import {
  CreateProject,
  CreateService,
  GetProject,
  GetService,
  ListProjects,
  ListServices,
  UpdateService,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { RouteBody, RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';
import { sealEnv } from './sealed-env';

/** Projects, their services, and the uploaded archives services are deployed from. */
export class ApplicationsResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly secrets: SecretBox,
    private readonly uploads: UploadStore,
  ) {}

  listProjects(request: FastifyRequest, query: RouteQuery<'listProjects'>) {
    return this.commands.relay(request, ListProjects, query);
  }

  async createProject(request: FastifyRequest, name: string) {
    const projectId = this.commands.newId(request, 'project');
    const commandId = await this.commands.send(request, CreateProject, { projectId, name });
    return { projectId, commandId };
  }

  getProject(request: FastifyRequest, projectId: string) {
    return this.commands.relay(request, GetProject, { projectId });
  }

  listServices(request: FastifyRequest, projectId: string, query: RouteQuery<'listServices'>) {
    return this.commands.relay(request, ListServices, { projectId, ...query });
  }

  async createService(request: FastifyRequest, projectId: string, body: RouteBody<'createService'>) {
    await this.commands.query(request, GetProject, { projectId });
    const serviceId = this.commands.newId(request, 'service');
    const { env, ...settings } = body;
    const commandId = await this.commands.send(request, CreateService, {
      serviceId,
      projectId,
      ...settings,
      env: sealEnv(this.secrets, request, serviceId, env),
    });
    return { serviceId, commandId };
  }

  getService(request: FastifyRequest, serviceId: string) {
    return this.commands.relay(request, GetService, { serviceId });
  }

  async updateService(request: FastifyRequest, serviceId: string, body: RouteBody<'updateService'>) {
    await this.commands.query(request, GetService, { serviceId });
    const changes = Object.entries(body.env ?? {});
    const commandId = await this.commands.send(request, UpdateService, {
      serviceId,
      port: body.port,
      healthCheckPath: body.healthCheckPath,
      setEnv: sealEnv(
        this.secrets,
        request,
        serviceId,
        Object.fromEntries(changes.filter((entry): entry is [string, string] => entry[1] !== null)),
      ),
      unsetEnv: changes.filter(([, value]) => value === null).map(([name]) => name),
    });
    return { serviceId, commandId };
  }

  async upload(request: FastifyRequest) {
    // The router checked that the body is the archive's stream (see the route's `upload`).
    const stored = await this.uploads.save(
      accessOf(request).workspaceId,
      request.body as NodeJS.ReadableStream,
      request.headers['content-type'],
    );
    return { uploadId: stored.uploadId, size: stored.size, sha256: stored.sha256 };
  }
}
