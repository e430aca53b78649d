import type { LoginRequest, SignupPolicy, SignupRequest } from '@platform/contracts';
import type { Identity, Principal } from '@platform/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoginThrottle, type RateLimiter } from '../rate-limiter';
import { requestContextOf } from '../request-state';

/** The cookie that carries the console's session token. */
export const SESSION_COOKIE = 'session';

/** Signing up, logging in and out over HTTP: the session's token in the answer and in the console's cookie. */
export class SessionsResource {
  private readonly logins: LoginThrottle;

  constructor(
    private readonly identity: Identity,
    rateLimiter: RateLimiter,
  ) {
    this.logins = new LoginThrottle(rateLimiter);
  }

  signupPolicy(): Promise<SignupPolicy> {
    return this.identity.instance.signupPolicy();
  }

  async signup(request: FastifyRequest, reply: FastifyReply, body: SignupRequest) {
    const created = await this.identity.accounts.signup(body, requestContextOf(request));
    setSessionCookie(request, reply, created.token, created.expiresAt);
    const { expiresAt: _expiresAt, ...answer } = created;
    return answer;
  }

  async login(request: FastifyRequest, reply: FastifyReply, body: LoginRequest) {
    const session = await this.logins.attempt(body.email, request.ip, () =>
      this.identity.accounts.login(body, requestContextOf(request)),
    );
    setSessionCookie(request, reply, session.token, session.expiresAt);
    return session;
  }

  async logout(request: FastifyRequest, reply: FastifyReply, principal: Principal) {
    await this.identity.accounts.logout(principal, requestContextOf(request));
    void reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
  }
}

/**
 * The console's credential: httpOnly so scripts cannot read it, SameSite so other sites cannot send it, and
 * Secure whenever the request came over HTTPS: on a TLS connection, or through a proxy named in TRUST_PROXY that
 * says so with `X-Forwarded-Proto: https` (Fastify believes that header only from those addresses).
 */
function cookieOptions(request: FastifyRequest) {
  return { httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', path: '/' } as const;
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: string): void {
  void reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request), expires: new Date(expiresAt) });
}
