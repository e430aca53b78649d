import { Controller, Inject, Req, Res } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { accessOf, IDENTITY, Input, RATE_LIMITER, Route, type RateLimiter, type RouteInput } from '@platform/http-api';
import type { IdentityService } from '@platform/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';

const SESSION_COOKIE = 'session';

@Controller()
export class AuthController {
  constructor(
    @Inject(IDENTITY) private readonly identity: IdentityService,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RateLimiter,
  ) {}

  @Route(apiRoutes.signup)
  signup(@Input() input: RouteInput<typeof apiRoutes.signup>) {
    return this.identity.signup(input.body);
  }

  @Route(apiRoutes.login)
  async login(
    @Input() input: RouteInput<typeof apiRoutes.login>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // Per account too, so guessing one password from many addresses is slowed as well.
    await this.rateLimiter.hit(`login-account:${input.body.email}`, 10, 15 * 60);
    const session = await this.identity.login(input.body);
    void reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      path: '/',
      expires: new Date(session.expiresAt),
    });
    return session;
  }

  @Route(apiRoutes.logout)
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.identity.logout(accessOf(request).principal);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}
