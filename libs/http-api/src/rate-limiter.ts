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

  async hit(key: string, limit: number, windowSeconds: number): Promise<void> {
    const nowSeconds = Date.now() / 1000;
    const window = Math.floor(nowSeconds / windowSeconds);
    const current = `${this.prefix}ratelimit:${key}:${window}`;
    const previous = `${this.prefix}ratelimit:${key}:${window - 1}`;
    const results = await this.redis.multi().incr(current).expire(current, 2 * windowSeconds + 1).get(previous).exec();
    const count = Number(results?.[0]?.[1] ?? 0);
    const before = Number(results?.[2]?.[1] ?? 0);
    const overlap = 1 - (nowSeconds / windowSeconds - window);
    if (count + before * overlap > limit) {
      const retryAfter = Math.max(1, Math.ceil((window + 1) * windowSeconds - nowSeconds));
      throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfter} s`, [{ retryAfterSeconds: retryAfter }]);
    }
  }
}
