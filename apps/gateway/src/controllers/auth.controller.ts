import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { Route, SessionsResource, type RouteCall } from '@platform/http-api';

@Injectable()
export class AuthController {
  constructor(@Inject(SessionsResource) private readonly sessions: SessionsResource) {}

  @Route(apiRoutes.signupPolicy)
  signupPolicy() {
    return this.sessions.signupPolicy();
  }

  @Route(apiRoutes.signup)
  signup({ input, request, reply }: RouteCall<typeof apiRoutes.signup>) {
    return this.sessions.signup(request, reply, input.body);
  }

  @Route(apiRoutes.login)
  login({ input, request, reply }: RouteCall<typeof apiRoutes.login>) {
    return this.sessions.login(request, reply, input.body);
  }

  @Route(apiRoutes.logout)
  logout({ access, request, reply }: RouteCall<typeof apiRoutes.logout>) {
    return this.sessions.logout(request, reply, access.principal);
  }
}
