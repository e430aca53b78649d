import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import {
  CreateDeployConfig,
  DeleteDeployConfig,
  GetDeployConfig,
  ListDeployConfigs,
  UpdateDeployConfig,
} from '@platform/contracts';
import type {
  DeployConfigCommand,
  DeployConfigEvent,
  DeployConfigQueries,
  DeployConfigState,
} from '@platform/deployments';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { DEPLOY_CONFIG_COMMANDS, DEPLOY_CONFIG_QUERIES } from './deployer.providers';

@Controller()
export class DeployConfigsController {
  constructor(
    @Inject(DEPLOY_CONFIG_COMMANDS)
    private readonly commands: DeciderCommandHandler<DeployConfigCommand, DeployConfigEvent, DeployConfigState>,
    @Inject(DEPLOY_CONFIG_QUERIES) private readonly queries: DeployConfigQueries,
  ) {}

  @OnCommand(CreateDeployConfig)
  create(command: CommandMessage<typeof CreateDeployConfig>) {
    return this.commands.handle(command);
  }

  @OnCommand(UpdateDeployConfig)
  update(command: CommandMessage<typeof UpdateDeployConfig>) {
    return this.commands.handle(command);
  }

  @OnCommand(DeleteDeployConfig)
  delete(command: CommandMessage<typeof DeleteDeployConfig>) {
    return this.commands.handle(command);
  }

  @OnQuery(ListDeployConfigs, { cached: true })
  list(query: QueryMessage<typeof ListDeployConfigs>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(GetDeployConfig, { cached: true })
  get(query: QueryMessage<typeof GetDeployConfig>) {
    return this.queries.get(query.workspaceId, query.params);
  }
}
