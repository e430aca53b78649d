import { z } from 'zod';
import { ImageReferenceSchema } from '../deployments/deploy-configs';
import { ContainerNameSchema, PortSchema, ServiceKeySchema } from './common';

/** An HTTP check the agent runs against a container: healthy once `path` answers 2xx or 3xx. */
export const HealthCheckSchema = z.strictObject({
  path: z
    .string()
    .max(1024)
    .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/, 'must be a URL path starting with "/"'),
  intervalMs: z.int().min(50).max(60_000).default(1000),
  timeoutMs: z.int().min(50).max(30_000).default(2000),
  /** Consecutive failed checks, after the start period, that make a container unhealthy. */
  retries: z.int().min(1).max(100).default(3),
  /** Failures while the app boots do not count for this long after the container starts. */
  startPeriodMs: z.int().min(0).max(600_000).default(30_000),
});
export type HealthCheck = z.infer<typeof HealthCheckSchema>;
export type HealthCheckInput = z.input<typeof HealthCheckSchema>;

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be an environment variable name');
const LabelKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be a label key of lower-case letters, digits, ".", "_" and "-"')
  .refine((key) => !key.startsWith('io.platform.'), 'the io.platform. labels are set by the agent');

export const RestartPolicySchema = z.enum(['no', 'always', 'unless-stopped', 'on-failure']);

export const RunContainerRequestSchema = z.strictObject({
  name: ContainerNameSchema,
  image: ImageReferenceSchema,
  service: ServiceKeySchema,
  /** The port the app listens on inside the container; the agent publishes it on the loopback for nginx. */
  port: PortSchema,
  env: z.record(EnvNameSchema, z.string().max(32_768)).default({}),
  labels: z.record(LabelKeySchema, z.string().max(1024)).default({}),
  memoryMb: z.int().min(6).max(1_048_576).optional(),
  cpus: z.number().min(0.01).max(256).optional(),
  restartPolicy: RestartPolicySchema.default('unless-stopped'),
  healthCheck: HealthCheckSchema.optional(),
  /** Overrides the image's command, as an argument array (never a shell string). */
  command: z.array(z.string().max(4096)).max(256).optional(),
});
export type RunContainerRequest = z.input<typeof RunContainerRequestSchema>;
export type RunContainerSpec = z.infer<typeof RunContainerRequestSchema>;

export const ContainerHealthStatusSchema = z.enum(['starting', 'healthy', 'unhealthy', 'stopped', 'none']);
export type ContainerHealthStatus = z.infer<typeof ContainerHealthStatusSchema>;

export const ContainerInfoSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  service: z.string(),
  state: z.string(),
  port: z.number().nullable(),
  /** Where the container's port is published on the server's loopback; null while it is not running. */
  hostPort: z.number().nullable(),
  createdAt: z.iso.datetime(),
});
export type ContainerInfo = z.infer<typeof ContainerInfoSchema>;

export const ListContainersQuerySchema = z.strictObject({ service: ServiceKeySchema.optional() });
export const ListContainersResponseSchema = z.strictObject({ containers: z.array(ContainerInfoSchema) });
export type ListContainersResponse = z.infer<typeof ListContainersResponseSchema>;

export const StopContainerRequestSchema = z.strictObject({
  /** SIGTERM first; SIGKILL after this many seconds. */
  graceSeconds: z.int().min(0).max(600).default(10),
  remove: z.boolean().default(true),
});
export type StopContainerRequest = z.input<typeof StopContainerRequestSchema>;

export const StopContainerResponseSchema = z.strictObject({
  name: z.string(),
  stopped: z.boolean(),
  removed: z.boolean(),
});
export type StopContainerResponse = z.infer<typeof StopContainerResponseSchema>;

const booleanFlag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** `GET /v1/containers/:name/logs?tail=&follow=`: plain text, stdout and stderr interleaved. */
export const ContainerLogsQuerySchema = z.strictObject({
  tail: z.coerce.number().int().min(0).max(100_000).default(200),
  follow: booleanFlag.default(false),
});
/** What a caller asks for; sent as the query string above. */
export interface ContainerLogsQuery {
  readonly tail?: number;
  readonly follow?: boolean;
}

export const ContainerHealthSchema = z.strictObject({
  name: z.string(),
  status: ContainerHealthStatusSchema,
  consecutiveFailures: z.int(),
  checkedAt: z.iso.datetime().nullable(),
  lastError: z.string().optional(),
});
export type ContainerHealth = z.infer<typeof ContainerHealthSchema>;
