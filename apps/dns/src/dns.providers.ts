import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import type { Bus, EventSubscription } from '@platform/bus';
import { CloudflareDns } from '@platform/cloud';
import { domainEvents } from '@platform/contracts';
import {
  domainDecider,
  DomainHostnames,
  DomainProcess,
  DomainQueries,
  domainStreamId,
  PLACEMENT_EVENTS,
  ServicePlacements,
  workspaceDnsProviders,
  type DomainCommand,
  type DomainEvent,
  type DomainState,
} from '@platform/domains';
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
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { loadDnsConfig } from './dns-config';

export const DOMAIN_COMMANDS = Symbol('DomainCommands');
export const DOMAIN_QUERIES = Symbol('DomainQueries');
export const DOMAIN_HOSTNAMES = Symbol('DomainHostnames');
export const PLACEMENTS = Symbol('ServicePlacements');
export const DOMAIN_PROCESS = Symbol('DomainProcess');

/**
 * Follows where services run (deployments and destroyed servers, on the event stream) and runs the domain process
 * on start-up; stops both before the connections close.
 */
@Injectable()
export class DomainLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly subscriptions: EventSubscription[] = [];

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(PLACEMENTS) private readonly placements: ServicePlacements,
    @Inject(DOMAIN_PROCESS) private readonly process: DomainProcess,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [context, types] of Object.entries(PLACEMENT_EVENTS)) {
      this.subscriptions.push(
        await this.bus.subscribeEvents({
          durable: `dns-placements-${context}`,
          filterSubject: this.bus.subjects.eventsOf(context),
          handle: async (event) => {
            if ((types as readonly string[]).includes(event.type)) await this.placements.follow(event);
          },
        }),
      );
    }
    this.process.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.process.stop();
    await Promise.all(this.subscriptions.map((subscription) => subscription.stop()));
  }
}

export const dnsProviders: Provider[] = [
  {
    provide: DOMAIN_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler<DomainCommand, DomainEvent, DomainState>({
        store,
        decider: domainDecider,
        streamIdOf: (command) => domainStreamId(command.data.domainId),
        events: domainEvents,
      }),
  },
  {
    provide: DOMAIN_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new DomainQueries(pool, config.database.schema),
  },
  {
    provide: DOMAIN_HOSTNAMES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new DomainHostnames(pool, config.database.schema),
  },
  {
    provide: PLACEMENTS,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new ServicePlacements(pool, config.database.schema),
  },
  {
    provide: DOMAIN_PROCESS,
    inject: [EVENT_STORE, DOMAIN_COMMANDS, PLACEMENTS, BUS, SERVICE_LOGGER, SERVICE_ENV],
    useFactory: (
      store: EventStore,
      commands: DeciderCommandHandler<DomainCommand, DomainEvent, DomainState>,
      placements: ServicePlacements,
      bus: Bus,
      logger: Logger,
      env: NodeJS.ProcessEnv,
    ) => {
      const config = loadDnsConfig(env);
      return new DomainProcess({
        store,
        commands,
        placements,
        dnsProviderOf: workspaceDnsProviders({
          bus,
          secrets: SecretBox.fromEnv(env),
          cloudflare: (token) =>
            new CloudflareDns({ token, baseUrl: config.CLOUDFLARE_API_URL, timeoutMs: config.CLOUDFLARE_TIMEOUT_MS }),
        }),
        instanceId: config.instanceId,
        pollMs: config.DNS_POLL_MS,
        logger: logger.child({ component: 'domains' }),
      });
    },
  },
  DomainLifecycle,
];
