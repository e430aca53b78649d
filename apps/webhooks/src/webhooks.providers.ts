import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import type { Bus } from '@platform/bus';
import { webhookEvents } from '@platform/contracts';
import type { EventStore } from '@platform/event-store';
import { SecretBox } from '@platform/secrets';
import {
  BUS,
  DeciderCommandHandler,
  EVENT_STORE,
  PG_POOL,
  SERVICE_CONFIG,
  SERVICE_ENV,
  SERVICE_LOGGER,
  type ServiceConfig,
} from '@platform/service-kit';
import {
  DeliveryStore,
  webhookEndpointDecider,
  WebhookEndpointQueries,
  webhookEndpointStreamId,
  WebhookDeliveryProcess,
  type WebhookEndpointCommand,
  type WebhookEndpointEvent,
  type WebhookEndpointState,
} from '@platform/webhooks';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { loadWebhooksConfig } from './webhooks-config';

export const ENDPOINT_COMMANDS = Symbol('WebhookEndpointCommands');
export const ENDPOINT_QUERIES = Symbol('WebhookEndpointQueries');
export const DELIVERY_STORE = Symbol('DeliveryStore');
export const DELIVERY_PROCESS = Symbol('WebhookDeliveryProcess');

export type EndpointCommandHandler = DeciderCommandHandler<
  WebhookEndpointCommand,
  WebhookEndpointEvent,
  WebhookEndpointState
>;

/** Starts the delivery process with the service and stops it before the connections close. */
@Injectable()
export class DeliveryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(DELIVERY_PROCESS) private readonly process: WebhookDeliveryProcess) {}

  onApplicationBootstrap(): Promise<void> {
    return this.process.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.process.stop();
  }
}

export const webhooksProviders: Provider[] = [
  {
    provide: ENDPOINT_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore): EndpointCommandHandler =>
      new DeciderCommandHandler({
        store,
        decider: webhookEndpointDecider,
        streamIdOf: (command) => webhookEndpointStreamId(command.data.endpointId),
        events: webhookEvents,
      }),
  },
  {
    provide: ENDPOINT_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new WebhookEndpointQueries(pool, config.database.schema),
  },
  {
    provide: DELIVERY_STORE,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new DeliveryStore(pool, config.database.schema),
  },
  {
    provide: DELIVERY_PROCESS,
    inject: [BUS, PG_POOL, DELIVERY_STORE, ENDPOINT_QUERIES, ENDPOINT_COMMANDS, SERVICE_LOGGER, SERVICE_ENV],
    useFactory: (
      bus: Bus,
      pool: Pool,
      store: DeliveryStore,
      endpoints: WebhookEndpointQueries,
      commands: EndpointCommandHandler,
      logger: Logger,
      env: NodeJS.ProcessEnv,
    ) => {
      const config = loadWebhooksConfig(env);
      return new WebhookDeliveryProcess({
        bus,
        pool,
        store,
        endpoints,
        commands,
        secrets: SecretBox.fromEnv(env),
        settings: {
          retryScheduleMs: config.WEBHOOKS_RETRY_SCHEDULE,
          timeoutMs: config.WEBHOOKS_TIMEOUT_MS,
          concurrency: config.WEBHOOKS_CONCURRENCY,
          disableAfterFailingMs: config.WEBHOOKS_DISABLE_AFTER_FAILING_MS,
          pollMs: config.WEBHOOKS_POLL_MS,
          allowLoopbackHttp: config.WEBHOOKS_ALLOW_LOOPBACK_HTTP,
        },
        logger: logger.child({ component: 'deliveries' }),
      });
    },
  },
  DeliveryLifecycle,
];
