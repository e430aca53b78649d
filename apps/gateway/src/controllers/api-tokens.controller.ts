import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { IDENTITY, Route, type RouteCall } from '@platform/http-api';
import type { IdentityService } from '@platform/identity';

@Injectable()
export class ApiTokensController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityService) {}

  @Route(apiRoutes.listApiTokens)
  list({ access, input }: RouteCall<typeof apiRoutes.listApiTokens>) {
    return this.identity.listApiTokens(access, input.query);
  }

  @Route(apiRoutes.createApiToken)
  create({ access, input }: RouteCall<typeof apiRoutes.createApiToken>) {
    return this.identity.createApiToken(access, input.body);
  }

  @Route(apiRoutes.revokeApiToken)
  revoke({ access, input }: RouteCall<typeof apiRoutes.revokeApiToken>) {
    return this.identity.revokeApiToken(access, input.params.id);
  }
}
