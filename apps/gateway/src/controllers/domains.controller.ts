import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { DomainsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class DomainsController {
  constructor(@Inject(DomainsResource) private readonly domains: DomainsResource) {}

  @Route(apiRoutes.listDomains)
  list({ request, input }: RouteCall<typeof apiRoutes.listDomains>) {
    return this.domains.list(request, input.params.id, input.query);
  }

  @Route(apiRoutes.addDomain)
  add({ request, input }: RouteCall<typeof apiRoutes.addDomain>) {
    return this.domains.add(request, input.params.id, input.body);
  }

  @Route(apiRoutes.getDomain)
  get({ request, input }: RouteCall<typeof apiRoutes.getDomain>) {
    return this.domains.get(request, input.params.id, input.params.domainId);
  }

  @Route(apiRoutes.removeDomain)
  remove({ request, input }: RouteCall<typeof apiRoutes.removeDomain>) {
    return this.domains.remove(request, input.params.id, input.params.domainId);
  }
}
