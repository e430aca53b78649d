import { DomainError } from '@platform/contracts';
import type { Redis } from 'ioredis';

/**
 * Sliding-window counters in Redis, shared by every gateway replica: at most about `limit` hits per
 * `windowSeconds` per key. The previous window's count is weighed by how much of it still overlaps, so a burst
 * across a window boundary is limited as well. Over the limit, `rate_limited` says when to try again.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Counts an attempt, and refuses it when it is over the limit. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<void> {
    const { count, retryAfter } = await this.weighted(key, windowSeconds, true);
    if (count > limit) refuse(retryAfter);
  }

  /** Refuses when `limit` have been counted already, without counting: for limits on outcomes (see `count`). */
  async refuseAtLimit(key: string, limit: number, windowSeconds: number): Promise<void> {
    const { count, retryAfter } = await this.weighted(key, windowSeconds, false);
    if (count >= limit) refuse(retryAfter);
  }

  /** Counts one, without a check. */
  async count(key: string, windowSeconds: number): Promise<void> {
    await this.weighted(key, windowSeconds, true);
  }

  private async weighted(
    key: string,
    windowSeconds: number,
    increment: boolean,
  ): Promise<{ count: number; retryAfter: number }> {
    const nowSeconds = Date.now() / 1000;
    const window = Math.floor(nowSeconds / windowSeconds);
    const current = `${this.prefix}ratelimit:${key}:${window}`;
    const previous = `${this.prefix}ratelimit:${key}:${window - 1}`;
    const transaction = this.redis.multi();
    if (increment) transaction.incr(current).expire(current, 2 * windowSeconds + 1);
    const results = await transaction.get(current).get(previous).exec();
    const [currentCount, previousCount] = (results ?? []).slice(-2).map((result) => Number(result?.[1] ?? 0));
    const overlap = 1 - (nowSeconds / windowSeconds - window);
    return {
      count: currentCount + previousCount * overlap,
      retryAfter: Math.max(1, Math.ceil((window + 1) * windowSeconds - nowSeconds)),
    };
  }
}

function refuse(retryAfter: number): never {
  throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfter} s`, [
    { retryAfterSeconds: retryAfter },
  ]);
}

export interface LoginLimits {
  /** Failed logins to one account from one address, per window. */
  readonly perAccountAndAddress: number;
  /** Failed logins to one account from all addresses together, per window. */
  readonly perAccount: number;
  readonly windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccountAndAddress: 10, perAccount: 100, windowSeconds: 15 * 60 };

/**
 * Slows password guessing without letting a stranger lock an account's owner out. Only failed logins count, so
 * the owner's own logins never use up the limit; an address that failed too often on an account is refused on
 * it, with the right password too (or the limit would not stop guessing), while other addresses still log in;
 * and all addresses together get a higher ceiling, which slows guessing spread over many addresses.
 */
export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  async attempt<T>(email: string, address: string, login: () => Promise<T>): Promise<T> {
    const { perAccountAndAddress, perAccount, windowSeconds } = this.limits;
    const counters: [string, number][] = [
      [`login-failures:${email}:${address}`, perAccountAndAddress],
      [`login-failures:${email}`, perAccount],
    ];
    for (const [key, limit] of counters) await this.limiter.refuseAtLimit(key, limit, windowSeconds);
    try {
      return await login();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'unauthorized') {
        await Promise.all(counters.map(([key]) => this.limiter.count(key, windowSeconds)));
      }
      throw error;
    }
  }
}
