import { type DynamicModule, Module } from '@nestjs/common';
import { Bus, QueryCache } from '@platform/bus';
import { EventStore } from '@platform/event-store';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config';
import { HealthController } from './health.controller';
import { SERVICE_DEFINITION, ServiceRuntime, type ServiceDefinition } from './service-runtime';
import { BUS, EVENT_STORE, PG_POOL, QUERY_CACHE, SERVICE_CONFIG, SERVICE_ENV, SERVICE_LOGGER } from './tokens';

/**
 * Gives a service its database pool, event store, bus connection, relay, projections and health routes,
 * from one validated config and one logger. The service module imports it and adds only its own handlers.
 */
@Module({})
export class ServiceKitModule {
  static forRoot(
    definition: ServiceDefinition,
    config: ServiceConfig,
    logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_DEFINITION, useValue: definition },
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: SERVICE_LOGGER, useValue: logger },
        { provide: SERVICE_ENV, useValue: env },
        {
          provide: PG_POOL,
          useFactory: () => {
            const pool = new Pool({ connectionString: config.database.url, max: config.database.poolSize });
            pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
            return pool;
          },
        },
        {
          provide: EVENT_STORE,
          inject: [PG_POOL],
          useFactory: (pool: Pool) => new EventStore(pool, config.database.schema),
        },
        {
          provide: BUS,
          useFactory: async () => {
            const bus = await Bus.connect({
              servers: config.nats.url,
              prefix: config.nats.prefix,
              name: `${config.context}-${config.replicaId}`,
              logger: logger.child({ component: 'bus' }),
            });
            await bus.ensureStreams();
            return bus;
          },
        },
        { provide: QUERY_CACHE, useFactory: () => new QueryCache() },
        ServiceRuntime,
      ],
      exports: [SERVICE_CONFIG, SERVICE_LOGGER, SERVICE_ENV, PG_POOL, EVENT_STORE, BUS, QUERY_CACHE, ServiceRuntime],
    };
  }
}
