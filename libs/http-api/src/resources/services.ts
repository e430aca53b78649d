import {
  CheckServiceName,
  CreateService,
  GetProject,
  GetService,
  serviceNameTaken,
  UpdateService,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { RouteBody } from '../api-router';
import type { CommandGateway } from '../commands';
import { sealEnv } from './sealed-env';

/** Services: what is deployed, with its port, health check and environment (sealed before it leaves the gateway). */
export class ServicesResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly secrets: SecretBox,
  ) {}

  async create(request: FastifyRequest, projectId: string, body: RouteBody<'createService'>) {
    await this.commands.query(request, GetProject, { projectId });
    // Refused here when it can be told now; the deployer's claim decides between two workspaces asking at once.
    if (!(await this.commands.query(request, CheckServiceName, { name: body.name })).available) {
      throw serviceNameTaken(body.name);
    }
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

  get(request: FastifyRequest, serviceId: string) {
    return this.commands.relay(request, GetService, { serviceId });
  }

  async update(request: FastifyRequest, serviceId: string, body: RouteBody<'updateService'>) {
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
}
