import { z } from 'zod';
import { ContainerNameSchema, HostnameSchema, StreamErrorLineSchema } from './common';
import { ContainerInfoSchema, HealthCheckSchema, RunContainerRequestSchema } from './containers';

/**
 * `POST /v1/cutover`: start the new container, wait until it is healthy, point the hostnames at it, wait for
 * requests in flight to the old one to finish, stop the old one. If the new container never becomes healthy,
 * it is removed and nothing else changes.
 */
export const CutoverRequestSchema = z.strictObject({
  container: RunContainerRequestSchema.extend({ healthCheck: HealthCheckSchema }),
  /** The container now serving the hostnames; absent on a service's first deployment. */
  replaces: ContainerNameSchema.optional(),
  hostnames: z.array(HostnameSchema).min(1).max(100),
  /** Give up waiting for the new container to become healthy after this long. */
  healthTimeoutMs: z.int().min(1000).max(900_000).default(120_000),
  /** Longest wait for requests in flight to the old container. */
  drainTimeoutMs: z.int().min(0).max(600_000).default(30_000),
  stopGraceSeconds: z.int().min(0).max(600).default(10),
});
export type CutoverRequest = z.input<typeof CutoverRequestSchema>;
export type CutoverSpec = z.infer<typeof CutoverRequestSchema>;

export const CutoverStepSchema = z.enum(['start', 'health', 'switch', 'drain', 'stop', 'abort']);
export type CutoverStep = z.infer<typeof CutoverStepSchema>;

/** One NDJSON line of a cutover's answer, sent as the step happens; the last line is a result or an error. */
export const CutoverProgressLineSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('step'),
    step: CutoverStepSchema,
    status: z.enum(['started', 'done', 'failed']),
    message: z.string(),
    elapsedMs: z.number(),
  }),
  z.strictObject({
    type: z.literal('result'),
    container: ContainerInfoSchema,
    replaced: z.string().nullable(),
    /** From the request until the new container served through nginx. */
    switchedAfterMs: z.number(),
    durationMs: z.number(),
  }),
  StreamErrorLineSchema,
]);
export type CutoverProgressLine = z.infer<typeof CutoverProgressLineSchema>;
export type CutoverResult = Extract<CutoverProgressLine, { type: 'result' }>;
