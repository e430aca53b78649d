/**
 * When each attempt of a delivery is made, counted from the failure before it: at once, then 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h and 10 h (Svix's schedule: a little over a day in all). Tests shrink it (WEBHOOKS_RETRY_SCHEDULE).
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** A Retry-After longer than this is read as this: an endpoint cannot park a delivery for days. */
const LONGEST_RETRY_AFTER_MS = 10 * 3_600_000;

/**
 * The delay before the next attempt after `attemptsMade` attempts failed, or undefined when none is left. Each
 * delay varies by up to a tenth either way, so that endpoints that failed together are not retried together; a
 * `Retry-After` (429, 503) is honoured when it asks for longer.
 */
export function nextAttemptDelayMs(
  schedule: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const planned = schedule[attemptsMade];
  if (planned === undefined) return undefined;
  const jittered = Math.round(planned * (0.9 + 0.2 * random()));
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, LONGEST_RETRY_AFTER_MS));
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110), in milliseconds from `now`; undefined when unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** `WEBHOOKS_RETRY_SCHEDULE`: delays in ms, comma-separated, the first usually 0. */
export function parseRetrySchedule(value: string): number[] {
  const delays = value.split(',').map((part) => Number(part.trim()));
  if (delays.length === 0 || delays.some((delay) => !Number.isInteger(delay) || delay < 0)) {
    throw new Error('must be delays in milliseconds separated by commas, such as 0,5000,300000');
  }
  return delays;
}
