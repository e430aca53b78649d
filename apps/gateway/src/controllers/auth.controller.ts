import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import {
  accessOf,
  IDENTITY,
  LoginThrottle,
  RATE_LIMITER,
  Route,
  type RateLimiter,
  type RouteCall,
} from '@platform/http-api';
import type { Identity } from '@platform/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';

const SESSION_COOKIE = 'session';

/** The console's credential: httpOnly so scripts cannot read it, SameSite so other sites cannot send it. */
function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: string): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    path: '/',
    expires: new Date(expiresAt),
  });
}

@Injectable()
export class AuthController {
  private readonly logins: LoginThrottle;

  constructor(
    @Inject(IDENTITY) private readonly identity: Identity,
    @Inject(RATE_LIMITER) rateLimiter: RateLimiter,
  ) {
    this.logins = new LoginThrottle(rateLimiter);
  }

  @Route(apiRoutes.signup)
  async signup({ input, request, reply }: RouteCall<typeof apiRoutes.signup>) {
    const created = await this.identity.accounts.signup(input.body);
    setSessionCookie(request, reply, created.token, created.expiresAt);
    const { expiresAt: _expiresAt, ...answer } = created;
    return answer;
  }

  @Route(apiRoutes.login)
  async login({ input, request, reply }: RouteCall<typeof apiRoutes.login>) {
    const session = await this.logins.attempt(input.body.email, request.ip, () =>
      this.identity.accounts.login(input.body),
    );
    setSessionCookie(request, reply, session.token, session.expiresAt);
    return session;
  }

  @Route(apiRoutes.logout)
  async logout({ request, reply }: RouteCall<typeof apiRoutes.logout>) {
    await this.identity.accounts.logout(accessOf(request).principal);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}
