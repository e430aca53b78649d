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
    const { count, retryAfter } = await this.increment(key, windowSeconds);
    if (count > limit) refuse(retryAfter);
  }

  /**
   * Counts an attempt and says whether it is over the limit, in one atomic step (one MULTI: the increment and
   * the read that is compared), so attempts arriving together cannot all pass before any of them is counted.
   * `release` takes this one count back, for an attempt that turns out not to count.
   */
  async take(key: string, limit: number, windowSeconds: number): Promise<Taken> {
    const { count, retryAfter, counter } = await this.increment(key, windowSeconds);
    return {
      over: count > limit,
      retryAfter,
      release: async () => {
        // Never below zero, never a key without its expiry (were it gone already).
        await this.redis.eval(RELEASE_SCRIPT, 1, counter);
      },
    };
  }

  private async increment(
    key: string,
    windowSeconds: number,
  ): Promise<{ count: number; retryAfter: number; counter: string }> {
    const nowSeconds = Date.now() / 1000;
    const window = Math.floor(nowSeconds / windowSeconds);
    const current = `${this.prefix}ratelimit:${key}:${window}`;
    const previous = `${this.prefix}ratelimit:${key}:${window - 1}`;
    const results = await this.redis
      .multi()
      .incr(current)
      .expire(current, 2 * windowSeconds + 1)
      .get(previous)
      .exec();
    const currentCount = Number(results?.[0]?.[1] ?? 0);
    const previousCount = Number(results?.[2]?.[1] ?? 0);
    const overlap = 1 - (nowSeconds / windowSeconds - window);
    return {
      count: currentCount + previousCount * overlap,
      retryAfter: Math.max(1, Math.ceil((window + 1) * windowSeconds - nowSeconds)),
      counter: current,
    };
  }
}

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

/** One attempt counted by `RateLimiter.take`. */
export interface Taken {
  readonly over: boolean;
  readonly retryAfter: number;
  release(): Promise<void>;
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
 *
 * Each attempt is counted before it is tried, atomically with the check (`RateLimiter.take`): a burst of guesses
 * sent at once is counted one by one, and only the first ones within the limit are tried. An attempt that then
 * succeeds (or fails for another reason than a wrong password) takes its count back. An attempt refused by the
 * limit stays counted at its address, so 50 parallel guesses count 50 failures there; it is not counted on the
 * account as a whole, or one address could lock the owner out of every other by sending refused guesses.
 */
export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  async attempt<T>(email: string, address: string, login: () => Promise<T>): Promise<T> {
    const { perAccountAndAddress, perAccount, windowSeconds } = this.limits;
    const atAddress = await this.limiter.take(
      `login-failures:${email}:${address}`,
      perAccountAndAddress,
      windowSeconds,
    );
    if (atAddress.over) refuse(atAddress.retryAfter);
    const onAccount = await this.limiter.take(`login-failures:${email}`, perAccount, windowSeconds);
    if (onAccount.over) refuse(onAccount.retryAfter);
    let failed = false;
    try {
      return await login();
    } catch (error) {
      failed = error instanceof DomainError && error.code === 'unauthorized';
      throw error;
    } finally {
      // A count not taken back (Redis unreachable a moment) only makes the limit a little stricter.
      if (!failed) await Promise.all([atAddress.release(), onAccount.release()]).catch(() => undefined);
    }
  }
}
