import {
  AddDomain,
  CheckHostname,
  DomainError,
  GetDomain,
  GetService,
  hostnameTaken,
  ListDomains,
  ListProviders,
  RemoveDomain,
  type CertificateMethod,
} from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import type { RouteBody, RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';

const notCovered = (message: string) =>
  new DomainError('domain_not_covered', message, [{ path: 'hostname', reason: 'domain_not_covered' }]);

/** A service's domains: the hostnames it answers at, with their DNS records, certificate and HTTPS routes. */
export class DomainsResource {
  constructor(private readonly commands: CommandGateway) {}

  async list(request: FastifyRequest, serviceId: string, query: RouteQuery<'listDomains'>) {
    await this.commands.query(request, GetService, { serviceId });
    return this.commands.relay(request, ListDomains, { serviceId, ...query });
  }

  async get(request: FastifyRequest, serviceId: string, domainId: string) {
    await this.domainOf(request, serviceId, domainId);
    return this.commands.relay(request, GetDomain, { domainId });
  }

  /**
   * Everything that can be refused is refused here, before anything is stored or any provider is called: another
   * workspace's service, a hostname held elsewhere, and a hostname the workspace has no way to serve.
   */
  async add(request: FastifyRequest, serviceId: string, body: RouteBody<'addDomain'>) {
    await this.commands.query(request, GetService, { serviceId });
    const { hostname, proxied } = body;
    if (!(await this.commands.query(request, CheckHostname, { hostname })).available) throw hostnameTaken(hostname);
    const certificate = await this.certificateMethod(request, body);
    const domainId = this.commands.newId(request, 'domain');
    const commandId = await this.commands.send(request, AddDomain, {
      domainId,
      serviceId,
      hostname,
      proxied,
      certificate,
    });
    return { domainId, commandId };
  }

  async remove(request: FastifyRequest, serviceId: string, domainId: string) {
    await this.domainOf(request, serviceId, domainId);
    const commandId = await this.commands.send(request, RemoveDomain, { domainId });
    return { domainId, commandId };
  }

  /** The domain, when it is one of this service's (another service's is answered as missing). */
  private async domainOf(request: FastifyRequest, serviceId: string, domainId: string) {
    const domain = await this.commands.query(request, GetDomain, { domainId });
    if (domain.serviceId !== serviceId) {
      throw new DomainError('not_found', `domain ${domainId} does not exist on service ${serviceId}`);
    }
    return domain;
  }

  /**
   * `.localhost` names resolve to this machine without DNS, so they need no provider and take a certificate over
   * HTTP-01; any other name needs the workspace's Cloudflare token, whose zones hold its records.
   */
  private async certificateMethod(request: FastifyRequest, body: RouteBody<'addDomain'>): Promise<CertificateMethod> {
    const { hostname, proxied } = body;
    const wildcard = hostname.startsWith('*.');
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
      if (proxied) throw notCovered(`${hostname} is served by this machine: it cannot be proxied by Cloudflare`);
      if (wildcard) {
        throw notCovered(
          `a wildcard certificate needs a DNS-01 challenge through a DNS provider; ${hostname} has none`,
        );
      }
      if (body.certificate === 'origin-ca') throw notCovered('an Origin CA certificate is for proxied domains only');
      return 'acme';
    }
    const { items } = await this.commands.query(request, ListProviders, {});
    if (!items.some((provider) => provider.provider === 'cloudflare' && provider.connected)) {
      throw notCovered(
        `no DNS provider of this workspace covers ${hostname}: save a Cloudflare token that may edit its zone's DNS ` +
          '(PUT /v1/providers/cloudflare, or Settings → Providers) and add the domain again',
      );
    }
    const method = body.certificate ?? (proxied ? 'origin-ca' : 'acme');
    if (method === 'origin-ca' && !proxied) {
      throw notCovered('an Origin CA certificate is trusted by Cloudflare only: use it for a proxied domain');
    }
    return method;
  }
}
