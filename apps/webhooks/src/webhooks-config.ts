import { DEFAULT_RETRY_SCHEDULE_MS, parseRetrySchedule } from '@platform/webhooks';
import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const schema = z.object({
  /** Delays before each attempt, in ms, comma-separated (tests shrink it). */
  WEBHOOKS_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE_MS.join(','))
    .transform((value, context) => {
      try {
        return parseRetrySchedule(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  /** Endpoints sent to at once, one request each. */
  WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
  /** An endpoint failing every attempt this long is disabled (5 days). */
  WEBHOOKS_DISABLE_AFTER_FAILING_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 86_400_000),
  WEBHOOKS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Development and tests: endpoints on this machine (loopback), over http too. Never on a shared instance. */
  WEBHOOKS_ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export type WebhooksConfig = z.infer<typeof schema>;

/** The webhooks service's own settings, on top of every service's (validated at start-up, naming any bad one). */
export function loadWebhooksConfig(env: NodeJS.ProcessEnv = process.env): WebhooksConfig {
  return parseEnv(schema, env);
}
