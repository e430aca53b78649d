import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { IngestMetrics } from '@platform/request-metrics';
import { INGEST_METRICS } from './metrics.tokens';

/** Prometheus's scrape of the queue and the ingestion, on the service's own (loopback by default) port. */
@Controller()
export class PrometheusController {
  constructor(@Inject(INGEST_METRICS) private readonly metrics: IngestMetrics) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
