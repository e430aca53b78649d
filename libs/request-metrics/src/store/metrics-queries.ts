import {
  decodeCursor,
  DomainError,
  encodeCursor,
  GetRequestStats,
  GetRequestTimeseries,
  ListRequestMetrics,
  timeseriesSteps,
  type QueryParams,
  type QueryResult,
  type RequestMetricRecord,
} from '@platform/contracts';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { RequestMetric } from './request-metric.entity';

export const HOUR_MS = 3_600_000;
/** A chart of more points than this is refused: ask for a wider step. */
const MAX_POINTS = 1500;

/** Whose requests a query reads: one workspace, or every workspace (null: the instance's owner). */
export interface MetricsScope {
  readonly workspaceId: string | null;
}

type Latency = { avg: number | null; p50: number | null; p95: number | null; p99: number | null };

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function latencyOf(row: Record<string, unknown>): Latency {
  const round = (value: unknown) => {
    const number = numberOrNull(value);
    return number === null ? null : Math.round(number * 1000) / 1000;
  };
  return { avg: round(row.avg), p50: round(row.p50), p95: round(row.p95), p99: round(row.p99) };
}

const LATENCY_COLUMNS =
  'avg(m.latency_ms) AS avg, ' +
  'percentile_cont(0.5) WITHIN GROUP (ORDER BY m.latency_ms) AS p50, ' +
  'percentile_cont(0.95) WITHIN GROUP (ORDER BY m.latency_ms) AS p95, ' +
  'percentile_cont(0.99) WITHIN GROUP (ORDER BY m.latency_ms) AS p99';

function viewOf(row: RequestMetric): RequestMetricRecord {
  return {
    id: row.id,
    requestId: row.requestId,
    occurredAt: row.occurredAt.toISOString(),
    method: row.method,
    route: row.route,
    path: row.path,
    query: row.query,
    status: row.status,
    errorCode: row.errorCode,
    latencyMs: row.latencyMs,
    clientIp: row.clientIp,
    userAgent: row.userAgent,
    referer: row.referer,
    userId: row.userId,
    workspaceId: row.workspaceId,
    tokenId: row.tokenId,
    sessionId: row.sessionId,
    country: row.country,
    service: row.service,
    replica: row.replica,
  };
}

/**
 * A chart's range, the last hour unless `from`/`to` say otherwise, its start on a step boundary, and its number of
 * points (refused beyond MAX_POINTS).
 */
export function chartRange(
  params: Pick<QueryParams<typeof GetRequestTimeseries>, 'from' | 'to' | 'step'>,
  stepMs: number,
  now: Date,
): { start: Date; end: Date; points: number } {
  const end = params.to ? new Date(params.to) : now;
  const requestedStart = params.from ? new Date(params.from) : new Date(end.getTime() - HOUR_MS);
  if (requestedStart >= end)
    throw new DomainError('validation_failed', '`from` must be before `to`', [{ path: 'from', message: 'after to' }]);
  const start = new Date(Math.floor(requestedStart.getTime() / stepMs) * stepMs);
  const points = Math.ceil((end.getTime() - start.getTime()) / stepMs);
  if (points > MAX_POINTS)
    throw new DomainError(
      'validation_failed',
      `that range holds ${points} steps of ${params.step}; ask for at most ${MAX_POINTS} with a wider step`,
      [{ path: 'step', message: 'too narrow for the range' }],
    );
  return { start, end, points };
}

/** Reads of the request table through TypeORM's query builder, always within the scope (one workspace, or all). */
export class MetricsQueries {
  constructor(private readonly dataSource: DataSource) {}

  private scoped(scope: MetricsScope): SelectQueryBuilder<RequestMetric> {
    const query = this.dataSource.getRepository(RequestMetric).createQueryBuilder('m');
    return scope.workspaceId === null
      ? query.where('TRUE')
      : query.where('m.workspace_id = :workspaceId', { workspaceId: scope.workspaceId });
  }

  /** Requests newest first, one page, filtered; the cursor is the last row's (time, id). */
  async list(
    scope: MetricsScope,
    params: QueryParams<typeof ListRequestMetrics>,
  ): Promise<QueryResult<typeof ListRequestMetrics>> {
    const query = this.scoped(scope);
    if (params.from) query.andWhere('m.occurred_at >= :from', { from: new Date(params.from) });
    if (params.to) query.andWhere('m.occurred_at < :to', { to: new Date(params.to) });
    if (params.pathPrefix)
      query.andWhere("m.path LIKE :prefix ESCAPE '\\'", { prefix: `${params.pathPrefix.replace(/[\\%_]/g, '\\$&')}%` });
    if (params.minLatencyMs !== undefined)
      query.andWhere('m.latency_ms >= :minLatency', { minLatency: params.minLatencyMs });
    if (params.status !== undefined) query.andWhere('m.status = :status', { status: params.status });
    if (params.errorsOnly) query.andWhere('m.status >= 400');
    if (params.cursor) {
      const [at, id] = decodeCursor(params.cursor, 2);
      query.andWhere('(m.occurred_at, m.id) < (:cursorAt, :cursorId)', {
        cursorAt: new Date(String(at)),
        cursorId: id,
      });
    }
    const rows = await query
      .orderBy('m.occurred_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(params.limit + 1)
      .getMany();
    const page = rows.slice(0, params.limit);
    const last = page.at(-1);
    return {
      items: page.map(viewOf),
      nextCursor: rows.length > params.limit && last ? encodeCursor([last.occurredAt.toISOString(), last.id]) : null,
    };
  }

  /** Totals, error rate and latency percentiles of the last `hours`, with the slowest and most failing routes. */
  async stats(
    scope: MetricsScope,
    params: QueryParams<typeof GetRequestStats>,
    now = new Date(),
  ): Promise<QueryResult<typeof GetRequestStats>> {
    const from = new Date(now.getTime() - params.hours * HOUR_MS);
    const inRange = () =>
      this.scoped(scope).andWhere('m.occurred_at >= :from', { from }).andWhere('m.occurred_at <= :now', { now });
    const totals = await inRange()
      .select('count(*)', 'total')
      .addSelect('count(*) FILTER (WHERE m.status >= 400)', 'errors')
      .addSelect('count(*) FILTER (WHERE m.status >= 500)', 'server_errors')
      .addSelect(LATENCY_COLUMNS)
      .getRawOne<Record<string, unknown>>();
    const slowest = await inRange()
      .select('m.method', 'method')
      .addSelect('m.route', 'route')
      .addSelect('count(*)', 'count')
      .addSelect(LATENCY_COLUMNS)
      .groupBy('m.method')
      .addGroupBy('m.route')
      .orderBy('p95', 'DESC')
      .limit(10)
      .getRawMany<Record<string, unknown>>();
    const failing = await inRange()
      .select('m.method', 'method')
      .addSelect('m.route', 'route')
      .addSelect('count(*)', 'count')
      .addSelect('count(*) FILTER (WHERE m.status >= 400)', 'errors')
      .groupBy('m.method')
      .addGroupBy('m.route')
      .having('count(*) FILTER (WHERE m.status >= 400) > 0')
      .orderBy('errors', 'DESC')
      .limit(10)
      .getRawMany<Record<string, unknown>>();
    const total = Number(totals?.total ?? 0);
    const errors = Number(totals?.errors ?? 0);
    return {
      from: from.toISOString(),
      to: now.toISOString(),
      total,
      errors,
      serverErrors: Number(totals?.server_errors ?? 0),
      errorRate: total === 0 ? 0 : errors / total,
      latencyMs: latencyOf(totals ?? {}),
      slowestRoutes: slowest.map((row) => ({
        method: String(row.method),
        route: String(row.route),
        count: Number(row.count),
        latencyMs: latencyOf(row),
      })),
      failingRoutes: failing.map((row) => ({
        method: String(row.method),
        route: String(row.route),
        count: Number(row.count),
        errors: Number(row.errors),
        errorRate: Number(row.errors) / Number(row.count),
      })),
    };
  }

  /** One value per step from `from` to `to` (the last hour by default); steps without requests are 0 (or null for p95). */
  async timeseries(
    scope: MetricsScope,
    params: QueryParams<typeof GetRequestTimeseries>,
    now = new Date(),
  ): Promise<QueryResult<typeof GetRequestTimeseries>> {
    const stepMs = timeseriesSteps[params.step] * 1000;
    const { start, end, points } = chartRange(params, stepMs, now);
    const value = {
      rate: 'count(*)',
      errors: 'count(*) FILTER (WHERE m.status >= 400)',
      p95: 'percentile_cont(0.95) WITHIN GROUP (ORDER BY m.latency_ms)',
    }[params.metric];
    const rows = await this.scoped(scope)
      .andWhere('m.occurred_at >= :start', { start })
      .andWhere('m.occurred_at < :end', { end })
      .select(`date_bin(make_interval(secs => :stepSeconds), m.occurred_at, :start)`, 'bucket')
      .addSelect(value, 'value')
      .setParameter('stepSeconds', stepMs / 1000)
      .groupBy('bucket')
      .getRawMany<{ bucket: Date; value: unknown }>();
    const byBucket = new Map(rows.map((row) => [new Date(row.bucket).getTime(), numberOrNull(row.value)]));
    const empty = params.metric === 'p95' ? null : 0;
    return {
      metric: params.metric,
      step: params.step,
      points: Array.from({ length: points }, (_, index) => {
        const at = start.getTime() + index * stepMs;
        return { at: new Date(at).toISOString(), value: byBucket.get(at) ?? empty };
      }),
    };
  }
}
