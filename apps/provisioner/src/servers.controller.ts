import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import {
  CreateSnapshot,
  DeleteSnapshot,
  DestroyServer,
  GetServer,
  GetSnapshot,
  ListProviders,
  GetSealedProviderToken,
  ListSnapshots,
  RemoveProviderCredentials,
  SaveProviderCredentials,
  GetServerAgent,
  ListRegions,
  ListServers,
  ListSizes,
  ProvisionServer,
  RefreshServer,
  type MessageMetadata,
  type QueryDefinition,
} from '@platform/contracts';
import {
  providerInUse,
  type ProviderCatalogue,
  type ProviderCredentials,
  type ServerCommand,
  type ServerEvent,
  type ServerProvisioningProcess,
  type ServerQueries,
  type ServerState,
  type SnapshotCommand,
  type SnapshotEvent,
  type SnapshotQueries,
  type SnapshotState,
} from '@platform/servers';
import type { DeciderCommandHandler } from '@platform/service-kit';
import {
  PROVIDER_CATALOGUE,
  PROVIDER_CREDENTIALS,
  SERVER_COMMANDS,
  SERVER_PROVISIONING_PROCESS,
  SERVER_QUERIES,
  SNAPSHOT_COMMANDS,
  SNAPSHOT_QUERIES,
} from './provisioner.providers';

/** Who changed a provider's credentials, for the events that record it. */
function metadataOf(query: QueryMessage<QueryDefinition>): MessageMetadata {
  return {
    workspaceId: query.workspaceId,
    actorId: query.actorId ?? 'unknown',
    correlationId: query.correlationId ?? randomUUID(),
    ...(query.origin && { origin: query.origin }),
  };
}

@Controller()
export class ServersController {
  constructor(
    @Inject(SERVER_COMMANDS) private readonly commands: DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>,
    @Inject(SERVER_QUERIES) private readonly queries: ServerQueries,
    @Inject(SERVER_PROVISIONING_PROCESS) private readonly provisioning: ServerProvisioningProcess,
    @Inject(SNAPSHOT_COMMANDS)
    private readonly snapshotCommands: DeciderCommandHandler<SnapshotCommand, SnapshotEvent, SnapshotState>,
    @Inject(SNAPSHOT_QUERIES) private readonly snapshots: SnapshotQueries,
    @Inject(PROVIDER_CREDENTIALS) private readonly credentials: ProviderCredentials,
    @Inject(PROVIDER_CATALOGUE) private readonly catalogue: ProviderCatalogue,
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
    await this.provisioning.refresh(command.data.serverId, command.metadata);
    return handled;
  }

  @OnQuery(ListServers, { cached: true })
  list(query: QueryMessage<typeof ListServers>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(GetServer, { cached: true })
  get(query: QueryMessage<typeof GetServer>) {
    return this.queries.get(query.workspaceId, query.params.serverId);
  }

  @OnQuery(GetServerAgent)
  agent(query: QueryMessage<typeof GetServerAgent>) {
    return this.queries.agentOf(query.workspaceId, query.params);
  }

  @OnQuery(ListRegions)
  async regions(query: QueryMessage<typeof ListRegions>) {
    return { items: await this.catalogue.regions(query.workspaceId, query.params.provider) };
  }

  @OnQuery(ListSizes)
  async sizes(query: QueryMessage<typeof ListSizes>) {
    return { items: await this.catalogue.sizes(query.workspaceId, query.params.provider) };
  }

  @OnQuery(ListProviders)
  async providers(query: QueryMessage<typeof ListProviders>) {
    return { items: await this.credentials.list(query.workspaceId) };
  }

  @OnQuery(GetSealedProviderToken)
  async sealedToken(query: QueryMessage<typeof GetSealedProviderToken>) {
    return { sealedToken: (await this.credentials.sealedTokenOf(query.workspaceId, query.params.provider)) ?? null };
  }

  @OnQuery(SaveProviderCredentials)
  async saveCredentials(query: QueryMessage<typeof SaveProviderCredentials>) {
    const saved = await this.credentials.save(metadataOf(query), query.params.provider, query.params.sealedToken);
    this.catalogue.forget(query.workspaceId);
    return saved;
  }

  @OnQuery(RemoveProviderCredentials)
  async removeCredentials(query: QueryMessage<typeof RemoveProviderCredentials>) {
    const { provider } = query.params;
    const removed = await this.credentials.remove(metadataOf(query), provider, () =>
      providerInUse({ servers: this.queries, snapshots: this.snapshots }, query.workspaceId, provider),
    );
    this.catalogue.forget(query.workspaceId);
    return removed;
  }

  @OnCommand(CreateSnapshot)
  createSnapshot(command: CommandMessage<typeof CreateSnapshot>) {
    return this.snapshotCommands.handle(command);
  }

  @OnCommand(DeleteSnapshot)
  deleteSnapshot(command: CommandMessage<typeof DeleteSnapshot>) {
    return this.snapshotCommands.handle(command);
  }

  @OnQuery(ListSnapshots, { cached: true })
  listSnapshots(query: QueryMessage<typeof ListSnapshots>) {
    return this.snapshots.list(query.workspaceId, query.params);
  }

  @OnQuery(GetSnapshot, { cached: true })
  getSnapshot(query: QueryMessage<typeof GetSnapshot>) {
    return this.snapshots.get(query.workspaceId, query.params.snapshotId);
  }
}
