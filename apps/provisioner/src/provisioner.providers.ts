import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { LocalCloudProvider } from '@platform/cloud';
import { serverEvents } from '@platform/contracts';
import type { EventStore } from '@platform/event-store';
import { SecretBox } from '@platform/secrets';
import {
  serverDecider,
  ServerProvisioning,
  ServerQueries,
  serverStreamId,
  StaticProviderRegistry,
  type ServerCommand,
  type ServerEvent,
  type ServerState,
} from '@platform/servers';
import { DeciderCommandHandler, EVENT_STORE, PG_POOL, SERVICE_CONFIG, SERVICE_ENV, SERVICE_LOGGER, type ServiceConfig } from '@platform/service-kit';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { loadProvisionerConfig } from './provisioner-config';

export const SERVER_COMMANDS = Symbol('ServerCommands');
export const SERVER_QUERIES = Symbol('ServerQueries');
export const SERVER_PROVISIONING = Symbol('ServerProvisioning');

/** Runs the provisioning process on start-up and stops it before the connections close. */
@Injectable()
export class ProvisioningLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(SERVER_PROVISIONING) private readonly provisioning: ServerProvisioning) {}

  onApplicationBootstrap(): void {
    this.provisioning.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provisioning.stop();
  }
}

export const provisionerProviders: Provider[] = [
  {
    provide: SERVER_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>({
        store,
        decider: serverDecider,
        streamIdOf: (command) => serverStreamId(command.data.serverId),
        events: serverEvents,
      }),
  },
  {
    provide: SERVER_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new ServerQueries(pool, config.database.schema),
  },
  {
    provide: SERVER_PROVISIONING,
    inject: [EVENT_STORE, SERVER_COMMANDS, SERVER_QUERIES, SERVICE_LOGGER, SERVICE_ENV],
    useFactory: (
      store: EventStore,
      commands: DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>,
      queries: ServerQueries,
      logger: Logger,
      env: NodeJS.ProcessEnv,
    ) => {
      const config = loadProvisionerConfig(env);
      const local = new LocalCloudProvider({
        root: config.LOCAL_SERVERS_ROOT,
        agentPort: config.LOCAL_AGENT_PORT,
        edgeHttpPort: config.LOCAL_EDGE_HTTP_PORT,
        edgeHttpsPort: config.LOCAL_EDGE_HTTPS_PORT,
      });
      return new ServerProvisioning({
        store,
        commands,
        queries,
        providers: new StaticProviderRegistry({ local }),
        secrets: SecretBox.fromEnv(env),
        deadlineMs: config.PROVISION_DEADLINE_MS,
        pollMs: config.PROVISION_POLL_MS,
        logger: logger.child({ component: 'provisioning' }),
      });
    },
  },
  ProvisioningLifecycle,
];
