import { DomainError } from '@platform/contracts';
import type { Redis } from 'ioredis';

/**
 * Fixed-window counters in Redis, shared by every gateway replica: `limit` hits per `windowSeconds` per key.
 * Over the limit, a `rate_limited` error says when to try again.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(key: string, limit: number, windowSeconds: number): Promise<void> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    const redisKey = `${this.prefix}ratelimit:${key}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(redisKey).expire(redisKey, windowSeconds + 1).exec()) as [[Error | null, number]];
    if (count > limit) {
      const retryAfter = (window + 1) * windowSeconds - Math.floor(Date.now() / 1000);
      throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfter} s`, [{ retryAfterSeconds: retryAfter }]);
    }
  }
}
