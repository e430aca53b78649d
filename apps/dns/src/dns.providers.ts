import type { Provider } from '@nestjs/common';
import { domainEvents } from '@platform/contracts';
import {
  domainDecider,
  DomainHostnames,
  DomainQueries,
  domainStreamId,
  type DomainCommand,
  type DomainEvent,
  type DomainState,
} from '@platform/domains';
import type { EventStore } from '@platform/event-store';
import { DeciderCommandHandler, EVENT_STORE, PG_POOL, SERVICE_CONFIG, type ServiceConfig } from '@platform/service-kit';
import type { Pool } from 'pg';

export const DOMAIN_COMMANDS = Symbol('DomainCommands');
export const DOMAIN_QUERIES = Symbol('DomainQueries');
export const DOMAIN_HOSTNAMES = Symbol('DomainHostnames');

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
];
