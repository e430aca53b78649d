import { Controller, Inject } from '@nestjs/common';
import { OnQuery, type QueryMessage } from '@platform/bus';
import { GetRequestStats, GetRequestTimeseries, ListRequestMetrics } from '@platform/contracts';
import type { MetricsReader, MetricsScope } from '@platform/request-metrics';
import { METRICS_READER } from './metrics.tokens';

/**
 * Whose requests a query reads: the asking workspace, unless the gateway set `workspaceScope` for the instance
 * admin (every workspace, or the one named).
 */
function scopeOf(query: { workspaceId: string; params: { workspaceScope?: string } }): MetricsScope {
  const scope = query.params.workspaceScope;
  if (scope === undefined) return { workspaceId: query.workspaceId };
  return { workspaceId: scope === 'all' ? null : scope };
}

/** The request metrics queries, each within its scope. */
@Controller()
export class RequestMetricsController {
  constructor(@Inject(METRICS_READER) private readonly queries: MetricsReader) {}

  @OnQuery(ListRequestMetrics)
  list(query: QueryMessage<typeof ListRequestMetrics>) {
    return this.queries.list(scopeOf(query), query.params);
  }

  @OnQuery(GetRequestStats)
  stats(query: QueryMessage<typeof GetRequestStats>) {
    return this.queries.stats(scopeOf(query), query.params);
  }

  @OnQuery(GetRequestTimeseries)
  timeseries(query: QueryMessage<typeof GetRequestTimeseries>) {
    return this.queries.timeseries(scopeOf(query), query.params);
  }
}
