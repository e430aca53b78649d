import { Controller, Inject, Req } from '@nestjs/common';
import { apiRoutes, CreateDeployConfig, DeleteDeployConfig, GetDeployConfig, ListDeployConfigs, UpdateDeployConfig } from '@platform/contracts';
import { Input, Route, type CommandGateway, type RouteInput } from '@platform/http-api';
import type { FastifyRequest } from 'fastify';
import { COMMANDS } from '../tokens';

@Controller()
export class DeployConfigsController {
  constructor(@Inject(COMMANDS) private readonly commands: CommandGateway) {}

  @Route(apiRoutes.listDeployConfigs)
  list(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.listDeployConfigs>) {
    return this.commands.relay(request, ListDeployConfigs, input.query);
  }

  @Route(apiRoutes.getDeployConfig)
  get(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.getDeployConfig>) {
    return this.commands.relay(request, GetDeployConfig, { deployConfigId: input.params.id });
  }

  @Route(apiRoutes.createDeployConfig)
  async create(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.createDeployConfig>) {
    const deployConfigId = this.commands.newId(request, 'deployConfig');
    const commandId = await this.commands.send(request, CreateDeployConfig, { deployConfigId, fields: input.body });
    return { deployConfigId, commandId };
  }

  @Route(apiRoutes.updateDeployConfig)
  async update(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.updateDeployConfig>) {
    const deployConfigId = input.params.id;
    await this.commands.query(request, GetDeployConfig, { deployConfigId });
    const commandId = await this.commands.send(request, UpdateDeployConfig, { deployConfigId, fields: input.body });
    return { deployConfigId, commandId };
  }

  @Route(apiRoutes.deleteDeployConfig)
  async delete(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.deleteDeployConfig>) {
    const deployConfigId = input.params.id;
    await this.commands.query(request, GetDeployConfig, { deployConfigId });
    const commandId = await this.commands.send(request, DeleteDeployConfig, { deployConfigId });
    return { deployConfigId, commandId };
  }
}
