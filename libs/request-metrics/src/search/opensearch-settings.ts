import { z } from 'zod';

/** How the metrics service signs in to OpenSearch. */
export type OpenSearchAuth =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | {
      readonly type: 'aws';
      readonly region: string;
      readonly service: 'es' | 'aoss';
      readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    };

/** Where the request metrics' OpenSearch is and how they are kept there (validated once at start-up). */
export interface OpenSearchSettings {
  readonly node: string;
  readonly auth: OpenSearchAuth;
  /** The data stream (and the name of its index template and lifecycle policy). */
  readonly dataStream: string;
  /** Days a document is kept; older backing indices are deleted. */
  readonly retentionDays: number;
}

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/**
 * The OpenSearch settings as operators already set them: `OPENSEARCH_URL`, or `OPENSEARCH_HOST` with
 * `OPENSEARCH_PORT` and `OPENSEARCH_USE_SSL`; `OPENSEARCH_AUTH_TYPE` none, basic (`OPENSEARCH_USERNAME`,
 * `OPENSEARCH_PASSWORD`) or aws (SigV4: `OPENSEARCH_AWS_REGION` or `AWS_REGION`, `OPENSEARCH_AWS_SERVICE` es or
 * aoss, and the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`). Neither URL nor host:
 * OpenSearch is not configured, and the metrics stay in PostgreSQL alone. Fields merge into a service's env schema.
 */
export const openSearchEnvFields = {
  OPENSEARCH_URL: z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s):// URL')
    .optional(),
  OPENSEARCH_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or address')
    .optional(),
  OPENSEARCH_PORT: z.coerce.number().int().min(1).max(65535).default(9200),
  OPENSEARCH_USE_SSL: flag.default(false),
  OPENSEARCH_AUTH_TYPE: z.enum(['none', 'basic', 'aws']).default('none'),
  OPENSEARCH_USERNAME: z.string().min(1).optional(),
  OPENSEARCH_PASSWORD: z.string().min(1).optional(),
  OPENSEARCH_AWS_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must be a region such as eu-west-1')
    .optional(),
  AWS_REGION: z.string().optional(),
  OPENSEARCH_AWS_SERVICE: z.enum(['es', 'aoss']).default('es'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  OPENSEARCH_DATA_STREAM: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,80}$/, 'must be lower-case letters, digits, "_" and "-"')
    .default('request-metrics'),
  OPENSEARCH_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
};

type OpenSearchEnv = z.infer<z.ZodObject<typeof openSearchEnvFields>>;

/** Checks that the fields fit together; each problem names the setting to change (never a secret's value). */
export function checkOpenSearchEnv(env: OpenSearchEnv, context: z.core.$RefinementCtx): void {
  const problem = (setting: string, message: string) => context.addIssue({ code: 'custom', path: [setting], message });
  if (env.OPENSEARCH_URL && env.OPENSEARCH_HOST)
    problem('OPENSEARCH_HOST', 'set OPENSEARCH_URL or OPENSEARCH_HOST, not both');
  if (env.OPENSEARCH_AUTH_TYPE === 'basic') {
    if (!env.OPENSEARCH_USERNAME) problem('OPENSEARCH_USERNAME', 'is required when OPENSEARCH_AUTH_TYPE=basic');
    if (!env.OPENSEARCH_PASSWORD) problem('OPENSEARCH_PASSWORD', 'is required when OPENSEARCH_AUTH_TYPE=basic');
  }
  if (env.OPENSEARCH_AUTH_TYPE === 'aws') {
    if (!(env.OPENSEARCH_AWS_REGION ?? env.AWS_REGION))
      problem('OPENSEARCH_AWS_REGION', 'is required when OPENSEARCH_AUTH_TYPE=aws (or AWS_REGION)');
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
      problem('AWS_ACCESS_KEY_ID', 'and AWS_SECRET_ACCESS_KEY are required when OPENSEARCH_AUTH_TYPE=aws');
  }
}

/** The settings, or null when OpenSearch is not configured. Call on env that passed checkOpenSearchEnv. */
export function openSearchSettingsOf(env: OpenSearchEnv): OpenSearchSettings | null {
  const node =
    env.OPENSEARCH_URL ??
    (env.OPENSEARCH_HOST
      ? `${env.OPENSEARCH_USE_SSL ? 'https' : 'http'}://${env.OPENSEARCH_HOST}:${env.OPENSEARCH_PORT}`
      : null);
  if (node === null) return null;
  const auth: OpenSearchAuth =
    env.OPENSEARCH_AUTH_TYPE === 'basic'
      ? { type: 'basic', username: env.OPENSEARCH_USERNAME ?? '', password: env.OPENSEARCH_PASSWORD ?? '' }
      : env.OPENSEARCH_AUTH_TYPE === 'aws'
        ? {
            type: 'aws',
            region: env.OPENSEARCH_AWS_REGION ?? env.AWS_REGION ?? '',
            service: env.OPENSEARCH_AWS_SERVICE,
            credentials: {
              accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
              sessionToken: env.AWS_SESSION_TOKEN,
            },
          }
        : { type: 'none' };
  return { node, auth, dataStream: env.OPENSEARCH_DATA_STREAM, retentionDays: env.OPENSEARCH_RETENTION_DAYS };
}
