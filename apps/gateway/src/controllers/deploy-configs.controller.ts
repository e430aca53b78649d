import { Inject, Injectable } from '@nestjs/common';
import {
  apiRoutes,
  CreateDeployConfig,
  DeleteDeployConfig,
  GetDeployConfig,
  ListDeployConfigs,
  UpdateDeployConfig,
} from '@platform/contracts';
import { Route, type CommandGateway, type RouteCall } from '@platform/http-api';
import { COMMANDS } from '../tokens';

@Injectable()
export class DeployConfigsController {
  constructor(@Inject(COMMANDS) private readonly commands: CommandGateway) {}

  @Route(apiRoutes.listDeployConfigs)
  list({ request, input }: RouteCall<typeof apiRoutes.listDeployConfigs>) {
    return this.commands.relay(request, ListDeployConfigs, input.query);
  }

  @Route(apiRoutes.getDeployConfig)
  get({ request, input }: RouteCall<typeof apiRoutes.getDeployConfig>) {
    return this.commands.relay(request, GetDeployConfig, { deployConfigId: input.params.id });
  }

  @Route(apiRoutes.createDeployConfig)
  async create({ request, input }: RouteCall<typeof apiRoutes.createDeployConfig>) {
    const deployConfigId = this.commands.newId(request, 'deployConfig');
    const commandId = await this.commands.send(request, CreateDeployConfig, { deployConfigId, fields: input.body });
    return { deployConfigId, commandId };
  }

  @Route(apiRoutes.updateDeployConfig)
  async update({ request, input }: RouteCall<typeof apiRoutes.updateDeployConfig>) {
    const deployConfigId = input.params.id;
    await this.commands.query(request, GetDeployConfig, { deployConfigId });
    const commandId = await this.commands.send(request, UpdateDeployConfig, { deployConfigId, fields: input.body });
    return { deployConfigId, commandId };
  }

  @Route(apiRoutes.deleteDeployConfig)
  async delete({ request, input }: RouteCall<typeof apiRoutes.deleteDeployConfig>) {
    const deployConfigId = input.params.id;
    await this.commands.query(request, GetDeployConfig, { deployConfigId });
    const commandId = await this.commands.send(request, DeleteDeployConfig, { deployConfigId });
    return { deployConfigId, commandId };
  }
}
