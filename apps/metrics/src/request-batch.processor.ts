import { Inject } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { REQUEST_METRICS_QUEUE, RequestMetricBatchSchema } from '@platform/contracts';
import type { IngestMetrics, MetricsWriter } from '@platform/request-metrics';
import { SERVICE_LOGGER } from '@platform/service-kit';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { INGEST_METRICS, METRICS_WRITER } from './metrics.tokens';

/**
 * Stores each batch of the request queue in PostgreSQL. The job is acknowledged only once its rows are committed;
 * a worker killed before that leaves the job to be taken again, and rows already stored are skipped, not doubled.
 */
@Processor(REQUEST_METRICS_QUEUE)
export class RequestBatchProcessor extends WorkerHost {
  constructor(
    @Inject(METRICS_WRITER) private readonly writer: MetricsWriter,
    @Inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super();
  }

  async process(job: Job<unknown>): Promise<{ stored: number }> {
    const batch = RequestMetricBatchSchema.safeParse(job.data);
    // A batch no retry can mend goes straight to the failed set, with the reason.
    if (!batch.success) throw new UnrecoverableError(`not a batch of request records: ${batch.error.message}`);
    const stored = await this.writer.write(batch.data.records);
    this.metrics.stored.inc(stored);
    return { stored };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn({ err: error, jobId: job?.id, attempts: job?.attemptsMade }, 'a batch of request metrics failed');
  }
}
