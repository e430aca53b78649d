import { Inject, Injectable } from '@nestjs/common';
import { UploadStore } from '@platform/build';
import {
  apiRoutes,
  CreateProject,
  CreateService,
  GetProject,
  GetService,
  ListProjects,
  ListServices,
  UpdateService,
} from '@platform/contracts';
import { accessOf, Route, sealEnv, type CommandGateway, type RouteCall } from '@platform/http-api';
import type { SecretBox } from '@platform/secrets';
import { COMMANDS, SECRETS, UPLOADS } from '../tokens';

@Injectable()
export class ApplicationsController {
  constructor(
    @Inject(COMMANDS) private readonly commands: CommandGateway,
    @Inject(SECRETS) private readonly secrets: SecretBox,
    @Inject(UPLOADS) private readonly uploads: UploadStore,
  ) {}

  @Route(apiRoutes.listProjects)
  listProjects({ request, input }: RouteCall<typeof apiRoutes.listProjects>) {
    return this.commands.relay(request, ListProjects, input.query);
  }

  @Route(apiRoutes.createProject)
  async createProject({ request, input }: RouteCall<typeof apiRoutes.createProject>) {
    const projectId = this.commands.newId(request, 'project');
    const commandId = await this.commands.send(request, CreateProject, { projectId, name: input.body.name });
    return { projectId, commandId };
  }

  @Route(apiRoutes.getProject)
  getProject({ request, input }: RouteCall<typeof apiRoutes.getProject>) {
    return this.commands.relay(request, GetProject, { projectId: input.params.id });
  }

  @Route(apiRoutes.listServices)
  listServices({ request, input }: RouteCall<typeof apiRoutes.listServices>) {
    return this.commands.relay(request, ListServices, { projectId: input.params.id, ...input.query });
  }

  @Route(apiRoutes.createService)
  async createService({ request, input }: RouteCall<typeof apiRoutes.createService>) {
    const projectId = input.params.id;
    await this.commands.query(request, GetProject, { projectId });
    const serviceId = this.commands.newId(request, 'service');
    const { env, ...settings } = input.body;
    const commandId = await this.commands.send(request, CreateService, {
      serviceId,
      projectId,
      ...settings,
      env: sealEnv(this.secrets, request, serviceId, env),
    });
    return { serviceId, commandId };
  }

  @Route(apiRoutes.getService)
  getService({ request, input }: RouteCall<typeof apiRoutes.getService>) {
    return this.commands.relay(request, GetService, { serviceId: input.params.id });
  }

  @Route(apiRoutes.updateService)
  async updateService({ request, input }: RouteCall<typeof apiRoutes.updateService>) {
    const serviceId = input.params.id;
    await this.commands.query(request, GetService, { serviceId });
    const changes = Object.entries(input.body.env ?? {});
    const commandId = await this.commands.send(request, UpdateService, {
      serviceId,
      port: input.body.port,
      healthCheckPath: input.body.healthCheckPath,
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

  @Route(apiRoutes.createUpload)
  async upload({ request }: RouteCall<typeof apiRoutes.createUpload>) {
    // The guard checked that the body is the archive's stream (see the route's `upload`).
    const stored = await this.uploads.save(
      accessOf(request).workspaceId,
      request.body as NodeJS.ReadableStream,
      request.headers['content-type'],
    );
    return { uploadId: stored.uploadId, size: stored.size, sha256: stored.sha256 };
  }
}
