import { DomainError } from '@platform/contracts';
import { testServices, uniqueName } from '@platform/testing';
import { Redis } from 'ioredis';
import { LoginThrottle, RateLimiter } from './rate-limiter';

describe('LoginThrottle (real Redis)', () => {
  const redis = new Redis(testServices.redisUrl);
  const prefix = `${uniqueName('throttle')}:`;
  const limits = { perAccountAndAddress: 3, perAccount: 5, windowSeconds: 60 };
  const throttle = new LoginThrottle(new RateLimiter(redis, prefix), limits);
  const password = 'right password';

  /** A login as the identity service answers it: the session, or `unauthorized`. */
  const attempt = (email: string, address: string, tried: string) =>
    throttle.attempt(email, address, async () => {
      if (tried !== password) throw new DomainError('unauthorized', 'the email or the password is wrong');
      return 'session';
    });
  const outcome = (email: string, address: string, tried: string) =>
    attempt(email, address, tried).then(
      () => 'logged in',
      (error: DomainError) => error.code,
    );

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('never counts the owner’s own logins', async () => {
    const outcomes = [];
    for (let i = 0; i < limits.perAccount * 2; i++)
      outcomes.push(await outcome('owner@example.com', '10.0.0.1', password));
    expect(new Set(outcomes)).toEqual(new Set(['logged in']));
  });

  it('refuses an address that failed too often on an account, even with the right password, and no other address', async () => {
    const email = 'target@example.com';
    const failures = [];
    for (let i = 0; i < limits.perAccountAndAddress; i++) failures.push(await outcome(email, '10.0.0.66', 'guess'));
    expect(failures).toEqual(Array(limits.perAccountAndAddress).fill('unauthorized'));

    expect(await outcome(email, '10.0.0.66', 'guess')).toBe('rate_limited');
    expect(await outcome(email, '10.0.0.66', password)).toBe('rate_limited');
    // The owner, elsewhere, is not locked out by a stranger's guesses; nor is another account at that address.
    expect(await outcome(email, '10.0.0.7', password)).toBe('logged in');
    expect(await outcome('other@example.com', '10.0.0.66', password)).toBe('logged in');
    await expect(attempt(email, '10.0.0.66', password)).rejects.toMatchObject({
      details: [{ retryAfterSeconds: expect.any(Number) }],
    });
  });

  it('caps the failures of all addresses together on one account', async () => {
    const email = 'spread@example.com';
    const outcomes = [];
    for (let i = 0; i < limits.perAccount; i++) outcomes.push(await outcome(email, `10.0.1.${i}`, 'guess'));
    expect(outcomes).toEqual(Array(limits.perAccount).fill('unauthorized'));
    expect(await outcome(email, '10.0.1.200', 'guess')).toBe('rate_limited');
    expect(await outcome('fresh@example.com', '10.0.1.200', 'guess')).toBe('unauthorized');
  });

  it('counts a burst of parallel guesses one by one: only the first ones within the limit are tried', async () => {
    const email = 'burst@example.com';
    const address = '10.0.3.1';
    let tried = 0;
    const guess = () =>
      throttle
        .attempt(email, address, async () => {
          tried++;
          // As slow as a password check, so every guess arrives before the first one fails.
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw new DomainError('unauthorized', 'the email or the password is wrong');
        })
        .then(
          () => 'logged in',
          (error: DomainError) => error.code,
        );
    const outcomes = await Promise.all(Array.from({ length: 50 }, guess));
    expect(tried).toBe(limits.perAccountAndAddress);
    expect(outcomes.filter((code) => code === 'unauthorized')).toHaveLength(limits.perAccountAndAddress);
    expect(outcomes.filter((code) => code === 'rate_limited')).toHaveLength(50 - limits.perAccountAndAddress);
    // Every guess counts as a failure at that address; only the ones tried count on the account as a whole.
    const counted = async (key: string) => {
      // The counters of this key alone: `<key>:<window>`.
      const window = new RegExp(`^${prefix}ratelimit:${key.replace(/[.]/g, '\\.')}:\\d+$`);
      const keys = (await redis.keys(`${prefix}ratelimit:${key}:*`)).filter((k) => window.test(k));
      const values = await Promise.all(keys.map((k) => redis.get(k)));
      return values.reduce((sum, value) => sum + Number(value ?? 0), 0);
    };
    expect(await counted(`login-failures:${email}:${address}`)).toBe(50);
    expect(await counted(`login-failures:${email}`)).toBe(limits.perAccountAndAddress);
    expect(await outcome(email, address, password)).toBe('rate_limited');
    expect(await outcome(email, '10.0.3.2', password)).toBe('logged in');
  });

  it('takes back the count of a login that succeeds, even of many at once', async () => {
    const email = 'owner-burst@example.com';
    const outcomes = await Promise.all(
      Array.from({ length: limits.perAccountAndAddress }, () => outcome(email, '10.0.4.1', password)),
    );
    expect(new Set(outcomes)).toEqual(new Set(['logged in']));
    const keys = await redis.keys(`${prefix}ratelimit:login-failures:${email}:*`);
    const values = await Promise.all(keys.map((k) => redis.get(k)));
    expect(values.map(Number)).toEqual(values.map(() => 0));
    for (let i = 0; i < limits.perAccount; i++) expect(await outcome(email, '10.0.4.1', password)).toBe('logged in');
  });

  it('lets other failures through uncounted', async () => {
    const failing = () =>
      throttle.attempt('broken@example.com', '10.0.2.1', async () => {
        throw new Error('database down');
      });
    for (let i = 0; i < limits.perAccountAndAddress + 1; i++) await expect(failing()).rejects.toThrow('database down');
  });
});
