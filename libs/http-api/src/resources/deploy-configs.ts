import {
  CreateDeployConfig,
  DeleteDeployConfig,
  GetDeployConfig,
  ListDeployConfigs,
  UpdateDeployConfig,
} from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import type { RouteBody, RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';

/** Deploy settings saved to run again. */
export class DeployConfigsResource {
  constructor(private readonly commands: CommandGateway) {}

  list(request: FastifyRequest, query: RouteQuery<'listDeployConfigs'>) {
    return this.commands.relay(request, ListDeployConfigs, query);
  }

  get(request: FastifyRequest, deployConfigId: string) {
    return this.commands.relay(request, GetDeployConfig, { deployConfigId });
  }

  async create(request: FastifyRequest, fields: RouteBody<'createDeployConfig'>) {
    const deployConfigId = this.commands.newId(request, 'deployConfig');
    const commandId = await this.commands.send(request, CreateDeployConfig, { deployConfigId, fields });
    return { deployConfigId, commandId };
  }

  async update(request: FastifyRequest, deployConfigId: string, fields: RouteBody<'updateDeployConfig'>) {
    await this.commands.query(request, GetDeployConfig, { deployConfigId });
    const commandId = await this.commands.send(request, UpdateDeployConfig, { deployConfigId, fields });
    return { deployConfigId, commandId };
  }

  async delete(request: FastifyRequest, deployConfigId: string) {
    await this.commands.query(request, GetDeployConfig, { deployConfigId });
    const commandId = await this.commands.send(request, DeleteDeployConfig, { deployConfigId });
    return { deployConfigId, commandId };
  }
}
