import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import { CreateService, GetService, ListServices, UpdateService } from '@platform/contracts';
import type { ServiceCommand, ServiceEvent, ServiceQueries, ServiceState } from '@platform/deployments';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { SERVICE_COMMANDS, SERVICE_QUERIES } from './deployer.providers';

@Controller()
export class ServicesController {
  constructor(
    @Inject(SERVICE_COMMANDS)
    private readonly commands: DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>,
    @Inject(SERVICE_QUERIES) private readonly queries: ServiceQueries,
  ) {}

  @OnCommand(CreateService)
  create(command: CommandMessage<typeof CreateService>) {
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

  @OnQuery(GetService, { cached: true })
  get(query: QueryMessage<typeof GetService>) {
    return this.queries.get(query.workspaceId, query.params);
  }
}
