import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { JetStreamTransport, type JetStreamTransportOptions } from '@platform/bus';
import type { DestinationStream, Logger } from 'pino';
import { ConfigError, loadServiceConfig, type ServiceConfig } from './config';
import { createLogger, PinoNestLogger } from './logging';
import { readModelsOf, type ServiceDefinition } from './service-runtime';
import { ServiceKitModule } from './service-kit.module';
import { BUS, QUERY_CACHE } from './tokens';

export interface StartServiceOptions {
  readonly definition: ServiceDefinition;
  /** The service's own module: its command and query controllers and providers. */
  readonly module: Type | DynamicModule;
  /** Port of the health endpoints unless HTTP_PORT says otherwise. */
  readonly defaultHttpPort: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Command consumer tuning (tests shorten the ack wait to see redeliveries quickly). */
  readonly commands?: JetStreamTransportOptions['commands'];
  /** Stop cleanly on SIGTERM/SIGINT; off when several replicas share one test process. */
  readonly handleSignals?: boolean;
  /** Where the log goes instead of standard output (services sharing one process each keep a file of their own). */
  readonly logDestination?: DestinationStream;
}

export interface RunningService {
  readonly app: INestApplication;
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts one replica of a service: validated config, logger, migrations, command consumer and query
 * handlers on the bus, relay and projections, health routes; and stops it in that order's reverse.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const config = loadServiceConfig(
    { context: options.definition.context, httpPort: options.defaultHttpPort },
    options.env,
  );
  const logger = createLogger(
    { name: config.context, level: config.logLevel, replicaId: config.replicaId },
    options.logDestination,
  );
  const root: DynamicModule = {
    module: class ServiceRoot {},
    imports: [ServiceKitModule.forRoot(options.definition, config, logger, options.env), options.module],
  };
  const app = await NestFactory.create(root, new FastifyAdapter(), {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  app.connectMicroservice(
    {
      strategy: new JetStreamTransport({
        bus: app.get(BUS),
        context: config.context,
        commands: {
          readModelsOf: (eventTypes) => readModelsOf(options.definition.projections ?? [], eventTypes),
          ...options.commands,
        },
        queryCache: app.get(QUERY_CACHE),
      }),
    },
    { inheritAppConfig: true },
  );
  if (options.handleSignals ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  const url = await app.getUrl();
  logger.info({ url, schema: config.database.schema, prefix: config.nats.prefix || undefined }, 'service started');
  return { app, config, logger, url, stop: () => app.close() };
}

/** For a service's main: a bad setting or a failed start ends the process with a message saying what to fix. */
export function exitOnStartFailure(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else if ((error as Error | undefined)?.name === 'SecretKeyError') {
    console.error(`invalid configuration: ${(error as Error).message}`);
  } else {
    console.error('the service could not start:', error instanceof Error ? error.message : error);
    console.error('check that PostgreSQL and NATS are running: npm run services');
  }
  process.exit(1);
}
