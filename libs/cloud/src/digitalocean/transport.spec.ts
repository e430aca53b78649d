import { backoffDelayMs, paceDelayMs, parseRetryAfterMs } from './transport';

describe('DigitalOcean transport timing', () => {
  const policy = { baseDelayMs: 500, maxDelayMs: 30_000 };

  it('backs off exponentially with full jitter, up to the maximum', () => {
    expect([1, 2, 3, 4].map((failures) => backoffDelayMs(failures, policy, () => 0.999999))).toEqual([
      499, 999, 1999, 3999,
    ]);
    expect(backoffDelayMs(20, policy, () => 0.999999)).toBe(29_999);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  it('reads retry-after as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('2', now)).toBe(2000);
    expect(parseRetryAfterMs('0', now)).toBe(0);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });

  it('paces requests only when the quota runs low, sharing the time until it resets', () => {
    const now = 1_000_000;
    expect(paceDelayMs({}, now, 100)).toBe(0);
    expect(paceDelayMs({ remaining: 4000, resetAtMs: now + 60_000 }, now, 100)).toBe(0);
    expect(paceDelayMs({ remaining: 9, resetAtMs: now + 60_000 }, now, 100)).toBe(6000);
    expect(paceDelayMs({ remaining: 0, resetAtMs: now + 60_000 }, now, 100)).toBe(60_000);
    expect(paceDelayMs({ remaining: 0, resetAtMs: now - 1 }, now, 100)).toBe(0);
  });
});
