import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { MetricsResource, Route, type RouteCall } from '@platform/http-api';

@Injectable()
export class MetricsController {
  constructor(@Inject(MetricsResource) private readonly metrics: MetricsResource) {}

  @Route(apiRoutes.listRequestMetrics)
  list({ request, input }: RouteCall<typeof apiRoutes.listRequestMetrics>) {
    return this.metrics.list(request, input.query);
  }

  @Route(apiRoutes.getRequestStats)
  stats({ request, input }: RouteCall<typeof apiRoutes.getRequestStats>) {
    return this.metrics.stats(request, input.query);
  }

  @Route(apiRoutes.listSlowRequests)
  slow({ request, input }: RouteCall<typeof apiRoutes.listSlowRequests>) {
    return this.metrics.slow(request, input.query);
  }

  @Route(apiRoutes.listErrorRequests)
  errors({ request, input }: RouteCall<typeof apiRoutes.listErrorRequests>) {
    return this.metrics.errors(request, input.query);
  }

  @Route(apiRoutes.getRequestTimeseries)
  timeseries({ request, input }: RouteCall<typeof apiRoutes.getRequestTimeseries>) {
    return this.metrics.timeseries(request, input.query);
  }

  @Route(apiRoutes.listFailedRequestBatches)
  failed({ request, input }: RouteCall<typeof apiRoutes.listFailedRequestBatches>) {
    return this.metrics.failed(request, input.query);
  }

  @Route(apiRoutes.retryFailedRequestBatch)
  retryFailed({ request, input }: RouteCall<typeof apiRoutes.retryFailedRequestBatch>) {
    return this.metrics.retryFailed(request, input.params.id);
  }
}
