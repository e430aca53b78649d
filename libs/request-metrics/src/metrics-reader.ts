import type {
  GetRequestStats,
  GetRequestTimeseries,
  ListRequestMetrics,
  QueryParams,
  QueryResult,
} from '@platform/contracts';
import type { MetricsSearchStore } from './search/metrics-search-store';
import { HOUR_MS, type MetricsQueries, type MetricsScope } from './store/metrics-queries';

/**
 * The request queries, answered by PostgreSQL while their range is within its retention, and by OpenSearch (when
 * configured) for ranges that start before PostgreSQL's oldest kept day.
 */
export class MetricsReader {
  constructor(
    private readonly postgres: MetricsQueries,
    private readonly search: MetricsSearchStore | null,
    private readonly postgresRetentionDays: number,
  ) {}

  /** The store for a range starting at `from`. */
  private storeFor(from: Date | undefined, now: Date): MetricsQueries | MetricsSearchStore {
    const postgresKeepsFrom = now.getTime() - this.postgresRetentionDays * 24 * HOUR_MS;
    return this.search && from && from.getTime() < postgresKeepsFrom ? this.search : this.postgres;
  }

  list(scope: MetricsScope, params: QueryParams<typeof ListRequestMetrics>, now = new Date()) {
    return this.storeFor(params.from ? new Date(params.from) : undefined, now).list(scope, params);
  }

  stats(
    scope: MetricsScope,
    params: QueryParams<typeof GetRequestStats>,
    now = new Date(),
  ): Promise<QueryResult<typeof GetRequestStats>> {
    return this.storeFor(new Date(now.getTime() - params.hours * HOUR_MS), now).stats(scope, params, now);
  }

  timeseries(
    scope: MetricsScope,
    params: QueryParams<typeof GetRequestTimeseries>,
    now = new Date(),
  ): Promise<QueryResult<typeof GetRequestTimeseries>> {
    return this.storeFor(params.from ? new Date(params.from) : undefined, now).timeseries(scope, params, now);
  }
}
