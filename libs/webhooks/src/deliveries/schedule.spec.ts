import { DEFAULT_RETRY_SCHEDULE_MS, nextAttemptDelayMs, parseRetrySchedule, retryAfterMs } from './schedule';

describe('retry schedule', () => {
  it('waits 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up', () => {
    const middle = () => 0.5;
    const delays = DEFAULT_RETRY_SCHEDULE_MS.map((_, attempts) =>
      nextAttemptDelayMs(DEFAULT_RETRY_SCHEDULE_MS, attempts, undefined, middle),
    );
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextAttemptDelayMs(DEFAULT_RETRY_SCHEDULE_MS, 8, undefined)).toBeUndefined();
  });

  it('varies each delay by at most a tenth either way', () => {
    expect(nextAttemptDelayMs([0, 10_000], 1, undefined, () => 0)).toBe(9_000);
    expect(nextAttemptDelayMs([0, 10_000], 1, undefined, () => 0.999999)).toBe(11_000);
  });

  it('honours a longer Retry-After, up to 10 hours', () => {
    expect(nextAttemptDelayMs([0, 5_000], 1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextAttemptDelayMs([0, 5_000], 1, 1_000, () => 0.5)).toBe(5_000);
    expect(nextAttemptDelayMs([0, 5_000], 1, 7 * 86_400_000, () => 0.5)).toBe(36_000_000);
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });

  it('takes a schedule from the setting and refuses a bad one', () => {
    expect(parseRetrySchedule('0, 100,200')).toEqual([0, 100, 200]);
    expect(() => parseRetrySchedule('0,soon')).toThrow('milliseconds');
  });
});
