import { Controller, Inject } from '@nestjs/common';
import { OnCommand, OnQuery, type CommandMessage, type QueryMessage } from '@platform/bus';
import { AddDomain, CheckHostname, GetDomain, ListDomains, RemoveDomain } from '@platform/contracts';
import type { DomainCommand, DomainEvent, DomainHostnames, DomainQueries, DomainState } from '@platform/domains';
import type { DeciderCommandHandler } from '@platform/service-kit';
import { DOMAIN_COMMANDS, DOMAIN_HOSTNAMES, DOMAIN_QUERIES } from './dns.providers';

@Controller()
export class DomainsController {
  constructor(
    @Inject(DOMAIN_COMMANDS)
    private readonly commands: DeciderCommandHandler<DomainCommand, DomainEvent, DomainState>,
    @Inject(DOMAIN_QUERIES) private readonly queries: DomainQueries,
    @Inject(DOMAIN_HOSTNAMES) private readonly hostnames: DomainHostnames,
  ) {}

  /** The hostname is claimed before the domain's first event is stored: one domain per hostname on the instance. */
  @OnCommand(AddDomain)
  async add(command: CommandMessage<typeof AddDomain>) {
    await this.hostnames.claim(command.data.hostname, command.data.domainId, command.metadata.workspaceId);
    return this.commands.handle(command);
  }

  @OnCommand(RemoveDomain)
  remove(command: CommandMessage<typeof RemoveDomain>) {
    return this.commands.handle(command);
  }

  @OnQuery(ListDomains, { cached: true })
  list(query: QueryMessage<typeof ListDomains>) {
    return this.queries.list(query.workspaceId, query.params);
  }

  @OnQuery(GetDomain, { cached: true })
  get(query: QueryMessage<typeof GetDomain>) {
    return this.queries.get(query.workspaceId, query.params);
  }

  @OnQuery(CheckHostname)
  async check(query: QueryMessage<typeof CheckHostname>) {
    return { available: await this.hostnames.available(query.params.hostname) };
  }
}
