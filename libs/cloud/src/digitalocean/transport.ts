import { setTimeout as delay } from 'node:timers/promises';
import { DigitalOceanError } from './errors';

/** Time as the transport sees it; tests replace it so that waits are recorded instead of slept. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms) => {
    await delay(ms);
  },
  random: () => Math.random(),
};

export interface RetryPolicy {
  /** Tries of one request when DigitalOcean fails (5xx) or cannot be reached, the first one included. */
  readonly maxAttempts: number;
  /** The backoff before the second try; it doubles with every failure, up to `maxDelayMs`, with full jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How many times one request waits out a 429 before the rate-limit error is raised. */
  readonly maxRateLimitWaits: number;
  /** A 429 asking for a longer wait than this is raised at once rather than waited out. */
  readonly maxRateLimitWaitMs: number;
  /**
   * Below this many requests left in the hourly quota, requests are spread out over the time until
   * `ratelimit-reset`, so the quota is not exhausted in a burst.
   */
  readonly slowDownBelowRemaining: number;
  /** One try is abandoned (and counted as a network failure) after this long. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRateLimitWaits: 5,
  maxRateLimitWaitMs: 120_000,
  slowDownBelowRemaining: 100,
  requestTimeoutMs: 30_000,
};

/** What the transport does on its own, for logs and metrics. Carries no header, body or token. */
export type TransportEvent =
  | {
      readonly kind: 'retrying';
      readonly method: string;
      readonly path: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly status?: number;
      readonly reason: string;
    }
  | { readonly kind: 'rate_limited'; readonly method: string; readonly path: string; readonly waitMs: number }
  | {
      readonly kind: 'slowing_down';
      readonly method: string;
      readonly path: string;
      readonly remaining: number;
      readonly waitMs: number;
    };

/** Full-jitter exponential backoff: a random wait in [0, min(max, base · 2^(failures-1))). */
export function backoffDelayMs(
  failures: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(random() * ceiling);
}

/** `retry-after` in seconds (DigitalOcean sends these) or as an HTTP date. */
export function parseRetryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The quota as the last answer reported it. */
export interface RateLimitState {
  remaining?: number;
  /** When the oldest counted request expires, freeing one more (epoch ms). */
  resetAtMs?: number;
}

/**
 * How long to wait before the next request so that the quota lasts until it resets: nothing while plenty is
 * left, the remaining time shared out among the remaining requests when few are, and the whole time when none is.
 */
export function paceDelayMs(state: RateLimitState, now: number, slowDownBelowRemaining: number): number {
  if (state.remaining === undefined || state.resetAtMs === undefined) return 0;
  if (state.remaining >= slowDownBelowRemaining) return 0;
  const untilReset = Math.max(0, state.resetAtMs - now);
  return state.remaining <= 0 ? untilReset : Math.ceil(untilReset / (state.remaining + 1));
}

function headerNumber(headers: Headers, name: string): number | undefined {
  const value = headers.get(name);
  if (value === null) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * Whether a request may be sent again when its outcome is unknown (a 5xx or a lost connection after it may have
 * been acted on). Creating a droplet is the one request where a repeat costs money and leaves a stray server, so
 * it fails instead, and the caller finds out what happened by listing (every server carries its tags).
 */
function repeatableAfterUnknownOutcome(method: string, path: string): boolean {
  return !(method === 'POST' && /\/v2\/droplets\/?$/.test(path));
}

function describeNetworkFailure(error: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (test runners), where instanceof fails.
  const failure = error as
    { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  if (failure?.name === 'TimeoutError') return 'no answer in time';
  if (typeof failure?.cause?.code === 'string') return failure.cause.code;
  if (typeof failure?.cause?.message === 'string') return failure.cause.message;
  return typeof failure?.message === 'string' ? failure.message : String(error);
}

/**
 * A `fetch` for the DigitalOcean API that waits out rate limits, slows down before them, and retries with
 * jittered exponential backoff on 5xx answers and network failures — never on other 4xx answers, which say the
 * request itself is wrong. What remains a failure is returned (an HTTP answer) or thrown (no answer at all).
 */
export class ResilientTransport {
  private readonly rateLimit: RateLimitState = {};

  constructor(
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly clock: Clock = systemClock,
    private readonly onEvent: (event: TransportEvent) => void = () => undefined,
  ) {}

  /** Usable as openapi-fetch's `fetch`. */
  readonly fetch = async (request: Request): Promise<Response> => {
    const method = request.method;
    const path = new URL(request.url).pathname;
    // Read once: every try sends the same bytes, and a Request's body can be read only once.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    let failures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      await this.pace(method, path);
      let response: Response;
      try {
        response = await fetch(request.url, {
          method,
          headers: request.headers,
          body,
          signal: AbortSignal.any([request.signal, AbortSignal.timeout(this.policy.requestTimeoutMs)]),
        });
      } catch (error) {
        if (request.signal.aborted) throw error;
        failures++;
        const reason = describeNetworkFailure(error);
        if (failures >= this.policy.maxAttempts || !repeatableAfterUnknownOutcome(method, path)) {
          throw new DigitalOceanError(
            'unavailable',
            `DigitalOcean could not be reached (${reason}) after ${failures} ${failures === 1 ? 'try' : 'tries'}` +
              (repeatableAfterUnknownOutcome(method, path)
                ? ''
                : '; the droplet may have been created: list the managed servers before creating it again') +
              "; check this machine's network and try again later",
          );
        }
        await this.backoff(method, path, failures, reason);
        continue;
      }
      this.observeRateLimit(response.headers);

      if (response.status === 429 && rateLimitWaits < this.policy.maxRateLimitWaits) {
        const waitMs = this.rateLimitWaitMs(response.headers);
        if (waitMs <= this.policy.maxRateLimitWaitMs) {
          rateLimitWaits++;
          await response.body?.cancel();
          this.onEvent({ kind: 'rate_limited', method, path, waitMs });
          await this.clock.sleep(waitMs);
          // The wait covered the reset; the next answer says what is left, and pacing would only wait twice.
          this.rateLimit.remaining = undefined;
          continue;
        }
      }
      if (
        response.status >= 500 &&
        failures + 1 < this.policy.maxAttempts &&
        repeatableAfterUnknownOutcome(method, path)
      ) {
        failures++;
        await response.body?.cancel();
        await this.backoff(method, path, failures, `HTTP ${response.status}`, response.status);
        continue;
      }
      return response;
    }
  };

  private rateLimitWaitMs(headers: Headers): number {
    const now = this.clock.now();
    const retryAfter = parseRetryAfterMs(headers.get('retry-after'), now);
    if (retryAfter !== undefined) return retryAfter;
    const resetSeconds = headerNumber(headers, 'ratelimit-reset');
    if (resetSeconds !== undefined) return Math.max(0, resetSeconds * 1000 - now);
    return backoffDelayMs(1, this.policy, () => this.clock.random());
  }

  private observeRateLimit(headers: Headers): void {
    const remaining = headerNumber(headers, 'ratelimit-remaining');
    const reset = headerNumber(headers, 'ratelimit-reset');
    if (remaining !== undefined) this.rateLimit.remaining = remaining;
    if (reset !== undefined) this.rateLimit.resetAtMs = reset * 1000;
  }

  private async pace(method: string, path: string): Promise<void> {
    const waitMs = Math.min(
      paceDelayMs(this.rateLimit, this.clock.now(), this.policy.slowDownBelowRemaining),
      this.policy.maxRateLimitWaitMs,
    );
    // Counted now, so that requests sent before the next answer arrives see the quota shrink too.
    if (this.rateLimit.remaining !== undefined) this.rateLimit.remaining = Math.max(0, this.rateLimit.remaining - 1);
    if (waitMs <= 0) return;
    this.onEvent({ kind: 'slowing_down', method, path, remaining: this.rateLimit.remaining ?? 0, waitMs });
    await this.clock.sleep(waitMs);
  }

  private async backoff(
    method: string,
    path: string,
    failures: number,
    reason: string,
    status?: number,
  ): Promise<void> {
    const delayMs = backoffDelayMs(failures, this.policy, () => this.clock.random());
    this.onEvent({
      kind: 'retrying',
      method,
      path,
      attempt: failures + 1,
      delayMs,
      reason,
      ...(status === undefined ? {} : { status }),
    });
    await this.clock.sleep(delayMs);
  }
}
