import { Controller, Inject } from '@nestjs/common';
import { OnQuery, type QueryMessage } from '@platform/bus';
import { GetRequestStats, GetRequestTimeseries, ListRequestMetrics } from '@platform/contracts';
import type { MetricsReader } from '@platform/request-metrics';
import { METRICS_READER } from './metrics.tokens';

/** The request metrics queries, each within the asking workspace. */
@Controller()
export class RequestMetricsController {
  constructor(@Inject(METRICS_READER) private readonly queries: MetricsReader) {}

  @OnQuery(ListRequestMetrics)
  list(query: QueryMessage<typeof ListRequestMetrics>) {
    return this.queries.list({ workspaceId: query.workspaceId }, query.params);
  }

  @OnQuery(GetRequestStats)
  stats(query: QueryMessage<typeof GetRequestStats>) {
    return this.queries.stats({ workspaceId: query.workspaceId }, query.params);
  }

  @OnQuery(GetRequestTimeseries)
  timeseries(query: QueryMessage<typeof GetRequestTimeseries>) {
    return this.queries.timeseries({ workspaceId: query.workspaceId }, query.params);
  }
}
