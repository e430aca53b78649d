import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { IDENTITY, requestContextOf, Route, type RouteCall } from '@platform/http-api';
import type { Identity } from '@platform/identity';

@Injectable()
export class ApiTokensController {
  constructor(@Inject(IDENTITY) private readonly identity: Identity) {}

  @Route(apiRoutes.listApiTokens)
  list({ access, input }: RouteCall<typeof apiRoutes.listApiTokens>) {
    return this.identity.apiTokens.list(access, input.query);
  }

  @Route(apiRoutes.createApiToken)
  create({ access, input, request }: RouteCall<typeof apiRoutes.createApiToken>) {
    return this.identity.apiTokens.create(access, input.body, requestContextOf(request));
  }

  @Route(apiRoutes.revokeApiToken)
  revoke({ access, input, request }: RouteCall<typeof apiRoutes.revokeApiToken>) {
    return this.identity.apiTokens.revoke(access, input.params.id, requestContextOf(request));
  }
}
