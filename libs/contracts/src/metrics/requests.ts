import { z } from 'zod';
import { defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';

export const METRICS = 'metrics';

/** The BullMQ queue request records travel on, from every HTTP service to the metrics service. */
export const REQUEST_METRICS_QUEUE = 'request-metrics';

/**
 * One request as an HTTP service saw it (names after OpenTelemetry's HTTP semantic conventions where they have
 * one). `route` is the template (`/v1/deployments/:id`), the dimension to group by; `path` the raw path. Query
 * values of secret-looking keys are already redacted when the record is made.
 */
export const RequestMetricRecordSchema = z.strictObject({
  /** The record's own id: a retried batch stores it once. */
  id: z.uuid(),
  requestId: z.string().max(128),
  occurredAt: z.iso.datetime(),
  method: z.string().max(16),
  route: z.string().max(300),
  path: z.string().max(2000),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  status: z.number().int().min(100).max(599),
  errorCode: z.string().max(64).nullable(),
  latencyMs: z.number().min(0),
  clientIp: z.string().max(64),
  userAgent: z.string().max(512).nullable(),
  referer: z.string().max(2000).nullable(),
  userId: z.uuid().nullable(),
  workspaceId: z.uuid().nullable(),
  tokenId: z.uuid().nullable(),
  sessionId: z.uuid().nullable(),
  country: z.string().max(8).nullable(),
  service: z.string().max(64),
  replica: z.string().max(100),
});
export type RequestMetricRecord = z.infer<typeof RequestMetricRecordSchema>;

/** What one BullMQ job carries: a batch of records. */
export const RequestMetricBatchSchema = z.strictObject({ records: z.array(RequestMetricRecordSchema).max(5000) });
export type RequestMetricBatch = z.infer<typeof RequestMetricBatchSchema>;

const range = {
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

/**
 * Filters of the request lists. `workspaceId`, when given, must be the workspace the caller acts in (the gateway
 * checks it); the metrics service answers for the query's own workspace only.
 */
export const RequestFiltersSchema = z.strictObject({
  ...paginationParams,
  ...range,
  pathPrefix: z.string().min(1).max(2000).optional(),
  minLatencyMs: z.coerce.number().min(0).max(86_400_000).optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  workspaceId: z.uuid().optional(),
});

/**
 * Set by the gateway only, for the instance's owner (the instance admin): the queries then read every workspace
 * (`all`) or the one named, instead of the workspace the caller acts in. Never part of a route's input.
 */
const instanceScope = { workspaceScope: z.union([z.literal('all'), z.uuid()]).optional() };

export const ListRequestMetrics = defineQuery(
  METRICS,
  'ListRequestMetrics',
  RequestFiltersSchema.omit({ workspaceId: true }).extend({ errorsOnly: z.boolean().optional(), ...instanceScope }),
  pageOf(RequestMetricRecordSchema),
);

const latency = z.strictObject({
  avg: z.number().nullable(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});

export const RequestStatsSchema = z.strictObject({
  from: z.string(),
  to: z.string(),
  total: z.number().int(),
  errors: z.number().int(),
  serverErrors: z.number().int(),
  /** Share of answers with a 4xx or 5xx status, 0..1. */
  errorRate: z.number(),
  latencyMs: latency,
  slowestRoutes: z.array(
    z.strictObject({ method: z.string(), route: z.string(), count: z.number().int(), latencyMs: latency }),
  ),
  failingRoutes: z.array(
    z.strictObject({
      method: z.string(),
      route: z.string(),
      count: z.number().int(),
      errors: z.number().int(),
      errorRate: z.number(),
    }),
  ),
});

export const GetRequestStats = defineQuery(
  METRICS,
  'GetRequestStats',
  z.strictObject({
    hours: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
    ...instanceScope,
  }),
  RequestStatsSchema,
);

/** Chart steps: a bucket's width. */
export const timeseriesSteps = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86_400 } as const;

export const GetRequestTimeseries = defineQuery(
  METRICS,
  'GetRequestTimeseries',
  z.strictObject({
    ...range,
    metric: z.enum(['rate', 'errors', 'p95']),
    step: z.enum(Object.keys(timeseriesSteps) as [keyof typeof timeseriesSteps]).default('1m'),
    ...instanceScope,
  }),
  z.strictObject({
    metric: z.enum(['rate', 'errors', 'p95']),
    step: z.string(),
    /** One point per step from `from` to `to`; `value` is requests (rate), 4xx/5xx answers (errors) or ms (p95). */
    points: z.array(z.strictObject({ at: z.string(), value: z.number().nullable() })),
  }),
);

/** A batch of the request queue that kept failing (the queue's failed set), for the instance admin to look at. */
export const FailedRequestBatchSchema = z.strictObject({
  /** The BullMQ job id (its first record's id). */
  id: z.string(),
  records: z.number().int(),
  attempts: z.number().int(),
  /** Why its last attempt failed. */
  failedReason: z.string(),
  failedAt: z.string().nullable(),
  /** When its first record's request was answered. */
  firstRequestAt: z.string().nullable(),
});
export type FailedRequestBatch = z.infer<typeof FailedRequestBatchSchema>;
