import { hostname } from 'node:os';
import { z } from 'zod';

/** A setting that failed validation; the process stops with every bad setting named. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const postgresUrl = z
  .string()
  .refine(
    (value) => /^postgres(ql)?:\/\//.test(value),
    'must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/postgres',
  );
const natsUrl = z
  .string()
  .refine((value) => /^(nats|tls):\/\/[^\s]+$/.test(value), 'must be a nats:// URL, e.g. nats://127.0.0.1:4222');
const port = z.coerce.number().int().min(0).max(65535);

function serviceConfigSchema(defaults: { context: string; httpPort: number }) {
  return z.object({
    DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and "_"')
      .default(defaults.context.replace(/-/g, '_')),
    NATS_URL: natsUrl.default('nats://127.0.0.1:4222'),
    NATS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]*$/, 'may hold only letters, digits, "_" and "-"')
      .default(''),
    HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    HTTP_PORT: port.default(defaults.httpPort),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    REPLICA_ID: z.string().min(1).max(100).default(`${hostname()}-${process.pid}`),
  });
}

export type RawServiceConfig = z.infer<ReturnType<typeof serviceConfigSchema>>;

/** The settings of one service, validated once at start-up and passed around typed. */
export interface ServiceConfig {
  readonly context: string;
  readonly replicaId: string;
  readonly database: { readonly url: string; readonly schema: string; readonly poolSize: number };
  readonly nats: { readonly url: string; readonly prefix: string };
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: RawServiceConfig['LOG_LEVEL'];
}

/** Validates environment variables against a zod object schema, naming every bad setting at once. */
/**
 * A bad setting's value as its error shows it, to the terminal and the logs: never a secret's, and a URL's without
 * the credentials it may carry (mysql://user:password@host is still a bad DATABASE_URL, and says so).
 */
function shownValue(key: string, env: NodeJS.ProcessEnv): string {
  const value = env[key];
  if (value === undefined) return 'nothing';
  if (/SECRET|PASSWORD|TOKEN|KEY/i.test(key)) return 'a value, not shown';
  return JSON.stringify(value.replace(/[^\s/@]+@/g, '***@'));
}

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) => `${issue.path.join('.')}: ${issue.message} (got ${shownValue(String(issue.path[0]), env)})`,
      ),
    );
  }
  return parsed.data;
}

export const configFields = { postgresUrl, natsUrl, port };

export function loadServiceConfig(
  defaults: { context: string; httpPort: number },
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const raw = parseEnv(serviceConfigSchema(defaults), env);
  return {
    context: defaults.context,
    replicaId: raw.REPLICA_ID,
    database: { url: raw.DATABASE_URL, schema: raw.DATABASE_SCHEMA, poolSize: raw.DATABASE_POOL_SIZE },
    nats: { url: raw.NATS_URL, prefix: raw.NATS_PREFIX },
    http: { host: raw.HTTP_HOST, port: raw.HTTP_PORT },
    logLevel: raw.LOG_LEVEL,
  };
}
