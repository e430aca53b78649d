import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import { CheckServiceName, CreateService, GetService, ListServices, UpdateService } from '@platform/contracts';
import type { ServiceCommand, ServiceEvent, ServiceNames, ServiceQueries, ServiceState } from '@platform/deployments';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { SERVICE_COMMANDS, SERVICE_NAMES, SERVICE_QUERIES } from './deployer.providers';

@Controller()
export class ServicesController {
  constructor(
    @Inject(SERVICE_COMMANDS)
    private readonly commands: DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>,
    @Inject(SERVICE_QUERIES) private readonly queries: ServiceQueries,
    @Inject(SERVICE_NAMES) private readonly names: ServiceNames,
  ) {}

  /** The name is claimed before the service's first event is stored: one workspace per name (a hostname). */
  @OnCommand(CreateService)
  async create(command: CommandMessage<typeof CreateService>) {
    await this.names.claim(command.data.name, command.metadata.workspaceId);
    return this.commands.handle(command);
  }

  @OnCommand(UpdateService)
  update(command: CommandMessage<typeof UpdateService>) {
    return this.commands.handle(command);
  }

  @OnQuery(ListServices, { cached: true })
  list(query: QueryMessage<typeof ListServices>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(CheckServiceName)
  async checkName(query: QueryMessage<typeof CheckServiceName>) {
    return { available: await this.names.available(query.params.name, query.workspaceId) };
  }

  @OnQuery(GetService, { cached: true })
  get(query: QueryMessage<typeof GetService>) {
    return this.queries.get(query.workspaceId, query.params);
  }
}
