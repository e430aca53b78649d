import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import {
  DestroyServer,
  DomainError,
  GetServer,
  GetServerAgent,
  ListRegions,
  ListServers,
  ListSizes,
  ProvisionServer,
  RefreshServer,
  type Provider,
} from '@platform/contracts';
import type { ServerCommand, ServerEvent, ServerProvisioning, ServerQueries, ServerState } from '@platform/servers';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { SERVER_COMMANDS, SERVER_PROVISIONING, SERVER_QUERIES } from './provisioner.providers';

const LOCAL_CATALOGUE = {
  regions: [{ slug: 'local', name: 'This machine', available: true }],
  sizes: [{ slug: 'local', memoryMb: 0, vcpus: 0, diskGb: 0, priceMonthly: 0, regions: ['local'] }],
};

function catalogueOf(provider: Provider) {
  if (provider !== 'local') {
    throw new DomainError('validation_failed', `the ${provider} provider is not set up on this platform yet; use "local"`);
  }
  return LOCAL_CATALOGUE;
}

@Controller()
export class ServersController {
  constructor(
    @Inject(SERVER_COMMANDS) private readonly commands: DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>,
    @Inject(SERVER_QUERIES) private readonly queries: ServerQueries,
    @Inject(SERVER_PROVISIONING) private readonly provisioning: ServerProvisioning,
  ) {}

  @OnCommand(ProvisionServer)
  provision(command: CommandMessage<typeof ProvisionServer>) {
    return this.commands.handle(command);
  }

  @OnCommand(DestroyServer)
  destroy(command: CommandMessage<typeof DestroyServer>) {
    return this.commands.handle(command);
  }

  @OnCommand(RefreshServer)
  async refresh(command: CommandMessage<typeof RefreshServer>) {
    const handled = await this.commands.handle(command);
    await this.provisioning.refresh(command.data.serverId);
    return handled;
  }

  @OnQuery(ListServers)
  list(query: QueryMessage<typeof ListServers>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(GetServer)
  get(query: QueryMessage<typeof GetServer>) {
    return this.queries.get(query.workspaceId, query.params.serverId);
  }

  @OnQuery(GetServerAgent)
  agent(query: QueryMessage<typeof GetServerAgent>) {
    return this.queries.agentOf(query.workspaceId, query.params);
  }

  @OnQuery(ListRegions)
  regions(query: QueryMessage<typeof ListRegions>) {
    return { items: catalogueOf(query.params.provider).regions };
  }

  @OnQuery(ListSizes)
  sizes(query: QueryMessage<typeof ListSizes>) {
    return { items: catalogueOf(query.params.provider).sizes };
  }
}
