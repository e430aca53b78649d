import type { Provider } from '@nestjs/common';
import { deployConfigEvents } from '@platform/contracts';
import { deployConfigDecider, DeployConfigQueries, deployConfigStreamId, type DeployConfigCommand } from '@platform/deployments';
import type { EventStore } from '@platform/event-store';
import { DeciderCommandHandler, EVENT_STORE, PG_POOL, SERVICE_CONFIG, type ServiceConfig } from '@platform/service-kit';
import type { Pool } from 'pg';

export const DEPLOY_CONFIG_COMMANDS = Symbol('DeployConfigCommands');
export const DEPLOY_CONFIG_QUERIES = Symbol('DeployConfigQueries');

export const deployerProviders: Provider[] = [
  {
    provide: DEPLOY_CONFIG_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler({
        store,
        decider: deployConfigDecider,
        streamIdOf: (command: DeployConfigCommand) => deployConfigStreamId(command.data.deployConfigId),
        events: deployConfigEvents,
      }),
  },
  {
    provide: DEPLOY_CONFIG_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new DeployConfigQueries(pool, config.database.schema),
  },
];
