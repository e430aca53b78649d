import {
  checkOpenSearchEnv,
  openSearchEnvFields,
  openSearchSettingsOf,
  type OpenSearchSettings,
} from '@platform/request-metrics';
import { parseEnv } from '@platform/service-kit';
import { z } from 'zod';

const schema = z
  .object({
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
    ...openSearchEnvFields,
  })
  .superRefine(checkOpenSearchEnv);

/** The OpenSearch settings travel as `openSearch` only; the raw secrets are not kept beside them. */
export type MetricsConfig = Omit<z.infer<typeof schema>, 'OPENSEARCH_PASSWORD' | 'AWS_SECRET_ACCESS_KEY'> & {
  /** The second store, or null when OPENSEARCH_URL / OPENSEARCH_HOST are not set. */
  readonly openSearch: OpenSearchSettings | null;
};

/** The metrics service's own settings, on top of every service's (validated at start-up, naming any bad one). */
export function loadMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const raw = parseEnv(schema, env);
  const { OPENSEARCH_PASSWORD: _password, AWS_SECRET_ACCESS_KEY: _secret, ...settings } = raw;
  return { ...settings, openSearch: openSearchSettingsOf(raw) };
}
