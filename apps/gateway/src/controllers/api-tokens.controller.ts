import { Controller, Inject } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { CallerAccess, IDENTITY, Input, Route, type RouteInput } from '@platform/http-api';
import type { Access, IdentityService } from '@platform/identity';

@Controller()
export class ApiTokensController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityService) {}

  @Route(apiRoutes.listApiTokens)
  list(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.listApiTokens>) {
    return this.identity.listApiTokens(access, input.query);
  }

  @Route(apiRoutes.createApiToken)
  create(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.createApiToken>) {
    return this.identity.createApiToken(access, input.body);
  }

  @Route(apiRoutes.revokeApiToken)
  revoke(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.revokeApiToken>) {
    return this.identity.revokeApiToken(access, input.params.id);
  }
}
