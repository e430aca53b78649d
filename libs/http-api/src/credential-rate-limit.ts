import { DomainError } from '@platform/contracts';
import type { Principal } from '@platform/identity';
import type { RateLimiter } from './rate-limiter';

/**
 * Requests to the non-public routes, per credential (a session or an API token) and per minute, counted in Redis
 * for every gateway replica together: one tenant's script cannot take the gateway from the others. Over the limit
 * a request gets `429 rate_limited` with `Retry-After`.
 */
export class CredentialRateLimit {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly perMinute: number,
  ) {}

  async hit(principal: Principal): Promise<void> {
    const { kind, id } = principal.credential;
    try {
      await this.limiter.hit(`credential:${kind}:${id}`, this.perMinute, 60);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'rate_limited') throw error;
      const [{ retryAfterSeconds }] = error.details as [{ retryAfterSeconds: number }];
      throw new DomainError(
        'rate_limited',
        `this ${kind === 'session' ? 'session' : 'API token'} sent more than ${this.perMinute} requests in a minute; try again in ${retryAfterSeconds} s`,
        [{ reason: 'credential_rate_limit', limitPerMinute: this.perMinute, retryAfterSeconds }],
      );
    }
  }
}
