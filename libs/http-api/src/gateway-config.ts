import { configFields, parseEnv } from '@platform/service-kit';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const schema = z.object({
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: configFields.port.default(8080),
  DATABASE_URL: configFields.postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  IDENTITY_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('identity'),
  GATEWAY_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('gateway'),
  NATS_URL: configFields.natsUrl.default('nats://127.0.0.1:4222'),
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .default(''),
  REDIS_URL: z
    .string()
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// URL, e.g. redis://127.0.0.1:6379')
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().max(50).default('platform:'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.union([z.ipv4(), z.ipv6()], { message: 'must be a comma-separated list of proxy addresses, e.g. 127.0.0.1' }),
      ),
    ),
  SIGNUP: z
    .enum(['open', 'invite'], { message: 'must be open (anyone may sign up) or invite (the default)' })
    .default('invite'),
  LOCAL_SERVERS_WORKSPACES: z
    .string()
    .default('')
    .transform((value) =>
      value.trim() === '*'
        ? ('*' as const)
        : value
            .split(',')
            .map((id) => id.trim().toLowerCase())
            .filter(Boolean),
    )
    .pipe(
      z.union([z.literal('*'), z.array(z.uuid({ message: 'must be * or a comma-separated list of workspace ids' }))]),
    ),
  MAX_WORKSPACES_PER_USER: z.coerce.number().int().min(1).max(100_000).default(10),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ message: 'must be a comma-separated list of origins like https://console.example.com' }))),
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  SSE_CLIENT_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  SSE_MAX_STREAMS_PER_WORKSPACE: z.coerce.number().int().min(1).max(1_000_000).default(100),
  SSE_RECHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  PLATFORM_SECRET_KEY: z
    .string({
      message: 'is not set: give 32 random bytes as hex (`openssl rand -hex 32`); npm start makes one for you',
    })
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 random bytes as 64 hex characters or base64'),
  UPLOADS_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.platform', 'uploads')),
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024 * 1024)
    .default(200 * 1024 * 1024),
  /** Bytes of uploads one workspace may keep stored. */
  UPLOAD_QUOTA_BYTES_PER_WORKSPACE: z.coerce
    .number()
    .int()
    .min(1024)
    .max(2 ** 50)
    .default(2 * 1024 * 1024 * 1024),
  /** An upload no deployment built from within this many hours is deleted. */
  UPLOAD_UNUSED_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(24),
  /** Requests per minute one credential (session or API token) may send to the routes that need one. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  COMMAND_APPLY_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  EVENT_FEED_RETENTION_DAYS: z.coerce.number().int().min(1).max(30).default(7),
  /** How long audit entries are kept. */
  AUDIT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(365 * 10)
    .default(365),
  /** Request metrics: captured unless `off`, queued on BullMQ under this key prefix (the metrics service's too). */
  METRICS_CAPTURE: z.enum(['on', 'off']).default('on'),
  METRICS_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,50}$/, 'may hold only letters, digits, ":", "_" and "-"')
    .default('platform'),
  METRICS_BUFFER_RECORDS: z.coerce.number().int().min(100).max(1_000_000).default(50_000),
  /**
   * Development and tests: webhook URLs on this machine (loopback), over http too. The webhooks service reads the
   * same setting, checking again before each delivery.
   */
  WEBHOOKS_ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  REPLICA_ID: z.string().min(1).max(100).default(`${hostname()}-${process.pid}`),
});

export type GatewayConfig = z.infer<typeof schema>;

/** The gateway's settings, validated once at start-up; a bad one stops the process with its name. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return parseEnv(schema, env);
}
