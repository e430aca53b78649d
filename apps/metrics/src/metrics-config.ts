import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const schema = z.object({
  REDIS_URL: z
    .string()
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// URL, e.g. redis://127.0.0.1:6379')
    .default('redis://127.0.0.1:6379'),
  /** The BullMQ key prefix of the request queue: the same as the gateway's. */
  METRICS_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,50}$/, 'may hold only letters, digits, ":", "_" and "-"')
    .default('platform'),
  /** Days of requests kept in PostgreSQL; older day partitions are dropped. */
  METRICS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Batches written at once by one replica. */
  METRICS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
});

export type MetricsConfig = z.infer<typeof schema>;

/** The metrics service's own settings, on top of every service's (validated at start-up, naming any bad one). */
export function loadMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  return parseEnv(schema, env);
}
