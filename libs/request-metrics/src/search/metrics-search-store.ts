import type { Client } from '@opensearch-project/opensearch';
import {
  decodeCursor,
  encodeCursor,
  GetRequestStats,
  GetRequestTimeseries,
  ListRequestMetrics,
  timeseriesSteps,
  type QueryParams,
  type QueryResult,
  type RequestMetricRecord,
} from '@platform/contracts';
import type { MetricsScope } from '../store/metrics-queries';
import { chartRange, HOUR_MS } from '../store/metrics-queries';

/** A stored document: the record, its time as `@timestamp` (the data stream's field) and fields to group by. */
interface RequestDocument extends Omit<RequestMetricRecord, 'occurredAt'> {
  '@timestamp': string;
  /** `GET /v1/me`: one term per route for the route aggregations. */
  routeKey: string;
  year: number;
  month: number;
  day: number;
  hour: number;
}

const keyword = { type: 'keyword' } as const;
const mappings = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    id: keyword,
    requestId: keyword,
    method: keyword,
    route: keyword,
    routeKey: keyword,
    path: { type: 'keyword', ignore_above: 2000 },
    query: { type: 'flat_object' },
    status: { type: 'short' },
    errorCode: keyword,
    latencyMs: { type: 'double' },
    clientIp: keyword,
    userAgent: { type: 'keyword', ignore_above: 512 },
    referer: { type: 'keyword', ignore_above: 2000 },
    userId: keyword,
    workspaceId: keyword,
    tokenId: keyword,
    sessionId: keyword,
    country: keyword,
    service: keyword,
    replica: keyword,
    year: { type: 'short' },
    month: { type: 'byte' },
    day: { type: 'byte' },
    hour: { type: 'byte' },
  },
} as const;

/** When a backing index is rolled over: a day old or 5 GB. */
const ROLLOVER = { maxAge: '1d', maxSize: '5gb' };
/** The route aggregation's size: the API has about a hundred route templates. */
const ROUTES = 500;
const DAY_MS = 24 * HOUR_MS;

function documentOf(record: RequestMetricRecord): RequestDocument {
  const { occurredAt, ...fields } = record;
  const at = new Date(occurredAt);
  return {
    ...fields,
    '@timestamp': occurredAt,
    routeKey: `${record.method} ${record.route}`,
    year: at.getUTCFullYear(),
    month: at.getUTCMonth() + 1,
    day: at.getUTCDate(),
    hour: at.getUTCHours(),
  };
}

function recordOf(document: RequestDocument): RequestMetricRecord {
  const { '@timestamp': timestamp, routeKey: _routeKey, year: _y, month: _m, day: _d, hour: _h, ...fields } = document;
  return { ...fields, occurredAt: new Date(timestamp).toISOString() };
}

function statusOf(error: unknown): number | undefined {
  return (error as { meta?: { statusCode?: number } }).meta?.statusCode;
}

type Percentiles = { values: Record<string, number | null> };
type Latency = { avg: number | null; p50: number | null; p95: number | null; p99: number | null };

function round(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value * 1000) / 1000;
}

function latencyOf(avg: { value: number | null }, percentiles: Percentiles): Latency {
  return {
    avg: round(avg.value),
    p50: round(percentiles.values['50.0']),
    p95: round(percentiles.values['95.0']),
    p99: round(percentiles.values['99.0']),
  };
}

const latencyAggregations = {
  latency_avg: { avg: { field: 'latencyMs' } },
  latency: { percentiles: { field: 'latencyMs', percents: [50, 95, 99] } },
};

/**
 * The request metrics in OpenSearch: a data stream behind an index template, written with the client's bulk helper
 * (document id = record id, `create` only, so a batch written again stores nothing twice), rolled over and trimmed
 * to its retention by ISM when the cluster has it, else by `maintain()`; and the queries for ranges that
 * PostgreSQL no longer keeps.
 */
export class MetricsSearchStore {
  /** Who rolls over and deletes old backing indices: the cluster's ISM plugin, or this store's maintain(). */
  private lifecycle: 'ism' | 'service' = 'service';
  /** setup() once it succeeded: OpenSearch may be down when the service starts, so writes set up first. */
  private settingUp: Promise<void> | undefined;

  constructor(
    readonly client: Client,
    private readonly settings: { readonly dataStream: string; readonly retentionDays: number },
  ) {}

  get dataStream(): string {
    return this.settings.dataStream;
  }

  /** setup(), once: again after a failure. */
  ensureSetup(): Promise<void> {
    this.settingUp ??= this.setup().catch((error: unknown) => {
      this.settingUp = undefined;
      throw error;
    });
    return this.settingUp;
  }

  /** The index template, the data stream and, with ISM, its policy. Safe to run on every start. */
  async setup(): Promise<void> {
    const stream = this.settings.dataStream;
    const { body: plugins } = await this.client.cat.plugins({ format: 'json' });
    const hasIsm = (plugins as { component?: string }[]).some(
      (plugin) => plugin.component === 'opensearch-index-management',
    );
    if (hasIsm) {
      this.lifecycle = 'ism';
      await this.client.ism
        .putPolicy({
          policy_id: stream,
          body: {
            policy: {
              description: `request metrics: rolled over daily or at ${ROLLOVER.maxSize}, deleted after ${this.settings.retentionDays} days`,
              default_state: 'hot',
              states: [
                {
                  name: 'hot',
                  actions: [{ rollover: { min_index_age: ROLLOVER.maxAge, min_size: ROLLOVER.maxSize } }],
                  transitions: [
                    { state_name: 'delete', conditions: { min_index_age: `${this.settings.retentionDays}d` } },
                  ],
                },
                { name: 'delete', actions: [{ delete: {} }], transitions: [] },
              ],
              ism_template: [{ index_patterns: [`.ds-${stream}-*`], priority: 100 }],
            },
          },
        })
        // A policy already there is kept (changing one needs its version); its retention is the operator's to edit.
        .catch((error: unknown) => {
          if (statusOf(error) !== 409) throw error;
        });
    }
    await this.client.indices.putIndexTemplate({
      name: stream,
      body: {
        index_patterns: [`${stream}*`],
        data_stream: { timestamp_field: { name: '@timestamp' } },
        priority: 200,
        template: { settings: { number_of_shards: 1 }, mappings },
      },
    });
    await this.client.indices.createDataStream({ name: stream }).catch((error: unknown) => {
      if (statusOf(error) !== 400 && statusOf(error) !== 409) throw error;
    });
  }

  /**
   * Stores the records; returns how many were new. A record stored before (same id) is not stored again. Throws
   * when OpenSearch is unreachable or refuses a document, so the batch is retried.
   */
  async write(records: readonly RequestMetricRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    await this.ensureSetup();
    const refused: { status: number; reason: string | undefined }[] = [];
    const result = await this.client.helpers.bulk<RequestDocument>({
      datasource: records.map(documentOf),
      onDocument: (document) => ({ create: { _index: this.settings.dataStream, _id: document.id } }),
      onDrop: (drop) => {
        // 409: a document of that id is stored already (a retried batch): that is what we want.
        if (drop.status !== 409) refused.push({ status: drop.status, reason: drop.error?.reason });
      },
      retries: 2,
      wait: 500,
      flushInterval: 1000,
    });
    if (refused.length)
      throw new Error(
        `OpenSearch refused ${refused.length} of ${records.length} request records (${refused[0].status}: ${refused[0].reason})`,
      );
    return result.successful;
  }

  /** Makes what was written visible to searches now rather than within a second (tests). */
  async refresh(): Promise<void> {
    await this.client.indices.refresh({ index: this.settings.dataStream });
  }

  /**
   * Without ISM: rolls the write index over when it is a day old or 5 GB, and deletes backing indices whose newest
   * document is older than the retention (empty ones too, the write index never). Returns the deleted indices.
   */
  async maintain(now = new Date()): Promise<string[]> {
    await this.ensureSetup();
    if (this.lifecycle === 'ism') return [];
    const stream = this.settings.dataStream;
    await this.client.indices.rollover({
      alias: stream,
      body: { conditions: { max_age: ROLLOVER.maxAge, max_size: ROLLOVER.maxSize } },
    });
    const { body: streams } = await this.client.indices.getDataStream({ name: stream });
    const backing = (streams.data_streams[0]?.indices ?? []).map((index) => index.index_name);
    const writeIndex = backing.at(-1);
    const newest = await this.search<{
      aggregations: { indices: { buckets: { key: string; newest: { value: number | null } }[] } };
    }>({
      size: 0,
      aggs: {
        indices: { terms: { field: '_index', size: 10_000 }, aggs: { newest: { max: { field: '@timestamp' } } } },
      },
    });
    const newestOf = new Map(newest.aggregations.indices.buckets.map((bucket) => [bucket.key, bucket.newest.value]));
    const cutoff = now.getTime() - this.settings.retentionDays * DAY_MS;
    const expired = backing.filter((index) => index !== writeIndex && (newestOf.get(index) ?? 0) < cutoff);
    for (const index of expired) await this.client.indices.delete({ index });
    return expired;
  }

  private filters(scope: MetricsScope, from: Date | undefined, to: Date | undefined): object[] {
    const filters: object[] = [];
    if (scope.workspaceId !== null) filters.push({ term: { workspaceId: scope.workspaceId } });
    if (from || to)
      filters.push({
        range: { '@timestamp': { ...(from && { gte: from.toISOString() }), ...(to && { lt: to.toISOString() }) } },
      });
    return filters;
  }

  private async search<T>(body: object): Promise<T> {
    const { body: answer } = await this.client.search({ index: this.settings.dataStream, body });
    return answer as T;
  }

  /** Requests newest first, one page, filtered, as MetricsQueries.list answers them. */
  async list(
    scope: MetricsScope,
    params: QueryParams<typeof ListRequestMetrics>,
  ): Promise<QueryResult<typeof ListRequestMetrics>> {
    const filters = this.filters(
      scope,
      params.from ? new Date(params.from) : undefined,
      params.to ? new Date(params.to) : undefined,
    );
    if (params.pathPrefix) filters.push({ prefix: { path: params.pathPrefix } });
    if (params.minLatencyMs !== undefined) filters.push({ range: { latencyMs: { gte: params.minLatencyMs } } });
    if (params.status !== undefined) filters.push({ term: { status: params.status } });
    if (params.errorsOnly) filters.push({ range: { status: { gte: 400 } } });
    const after = params.cursor ? decodeCursor(params.cursor, 2) : undefined;
    const answer = await this.search<{ hits: { hits: { _source: RequestDocument }[] } }>({
      size: params.limit + 1,
      query: { bool: { filter: filters } },
      sort: [{ '@timestamp': 'desc' }, { id: 'desc' }],
      ...(after && { search_after: [new Date(String(after[0])).getTime(), String(after[1])] }),
    });
    const rows = answer.hits.hits.map((hit) => recordOf(hit._source));
    const page = rows.slice(0, params.limit);
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: rows.length > params.limit && last ? encodeCursor([last.occurredAt, last.id]) : null,
    };
  }

  /** The figures MetricsQueries.stats answers, aggregated by OpenSearch. */
  async stats(
    scope: MetricsScope,
    params: QueryParams<typeof GetRequestStats>,
    now = new Date(),
  ): Promise<QueryResult<typeof GetRequestStats>> {
    const from = new Date(now.getTime() - params.hours * HOUR_MS);
    type Figures = {
      doc_count: number;
      errors: { doc_count: number };
      latency_avg: { value: number | null };
      latency: Percentiles;
    };
    const answer = await this.search<{
      hits: { total: { value: number } };
      aggregations: Omit<Figures, 'doc_count'> & {
        server_errors: { doc_count: number };
        routes: { buckets: (Figures & { key: string })[] };
      };
    }>({
      size: 0,
      track_total_hits: true,
      query: { bool: { filter: this.filters(scope, from, new Date(now.getTime() + 1)) } },
      aggs: {
        errors: { filter: { range: { status: { gte: 400 } } } },
        server_errors: { filter: { range: { status: { gte: 500 } } } },
        ...latencyAggregations,
        routes: {
          terms: { field: 'routeKey', size: ROUTES },
          aggs: { errors: { filter: { range: { status: { gte: 400 } } } }, ...latencyAggregations },
        },
      },
    });
    const figures = answer.aggregations;
    const total = answer.hits.total.value;
    const errors = figures.errors.doc_count;
    const routes = figures.routes.buckets.map((bucket) => {
      const [method, ...route] = bucket.key.split(' ');
      return {
        method,
        route: route.join(' '),
        count: bucket.doc_count,
        errors: bucket.errors.doc_count,
        latencyMs: latencyOf(bucket.latency_avg, bucket.latency),
      };
    });
    return {
      from: from.toISOString(),
      to: now.toISOString(),
      total,
      errors,
      serverErrors: figures.server_errors.doc_count,
      errorRate: total === 0 ? 0 : errors / total,
      latencyMs: latencyOf(figures.latency_avg, figures.latency),
      slowestRoutes: [...routes]
        .sort((a, b) => (b.latencyMs.p95 ?? 0) - (a.latencyMs.p95 ?? 0))
        .slice(0, 10)
        .map(({ method, route, count, latencyMs }) => ({ method, route, count, latencyMs })),
      failingRoutes: routes
        .filter((route) => route.errors > 0)
        .sort((a, b) => b.errors - a.errors)
        .slice(0, 10)
        .map(({ method, route, count, errors: failed }) => ({
          method,
          route,
          count,
          errors: failed,
          errorRate: failed / count,
        })),
    };
  }

  /** The chart MetricsQueries.timeseries answers, from a date histogram. */
  async timeseries(
    scope: MetricsScope,
    params: QueryParams<typeof GetRequestTimeseries>,
    now = new Date(),
  ): Promise<QueryResult<typeof GetRequestTimeseries>> {
    const stepMs = timeseriesSteps[params.step] * 1000;
    const { start, end, points } = chartRange(params, stepMs, now);
    const answer = await this.search<{
      aggregations: {
        steps: {
          buckets: { key: number; doc_count: number; errors: { doc_count: number }; latency: Percentiles }[];
        };
      };
    }>({
      size: 0,
      query: { bool: { filter: this.filters(scope, start, end) } },
      aggs: {
        steps: {
          date_histogram: { field: '@timestamp', fixed_interval: `${stepMs / 1000}s`, min_doc_count: 1 },
          aggs: {
            errors: { filter: { range: { status: { gte: 400 } } } },
            latency: { percentiles: { field: 'latencyMs', percents: [95] } },
          },
        },
      },
    });
    const valueOf = {
      rate: (bucket: (typeof answer.aggregations.steps.buckets)[number]) => bucket.doc_count,
      errors: (bucket: (typeof answer.aggregations.steps.buckets)[number]) => bucket.errors.doc_count,
      p95: (bucket: (typeof answer.aggregations.steps.buckets)[number]) => round(bucket.latency.values['95.0']),
    }[params.metric];
    const byStep = new Map(answer.aggregations.steps.buckets.map((bucket) => [bucket.key, valueOf(bucket)]));
    const empty = params.metric === 'p95' ? null : 0;
    return {
      metric: params.metric,
      step: params.step,
      points: Array.from({ length: points }, (_, index) => {
        const at = start.getTime() + index * stepMs;
        return { at: new Date(at).toISOString(), value: byStep.get(at) ?? empty };
      }),
    };
  }
}
