import { Inject } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { REQUEST_METRICS_QUEUE, RequestMetricBatchSchema } from '@platform/contracts';
import type { IngestMetrics, MetricsSearchStore, MetricsWriter } from '@platform/request-metrics';
import { SERVICE_LOGGER } from '@platform/service-kit';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { INGEST_METRICS, METRICS_SEARCH, METRICS_WRITER } from './metrics.tokens';

/**
 * Stores each batch of the request queue in PostgreSQL and, when it is configured, in OpenSearch. The job is
 * acknowledged only once both have it; a worker killed before that, or a store that is down, leaves the job to be
 * taken again (with back-off), and what a store already has is skipped, not doubled: while OpenSearch is down,
 * PostgreSQL keeps receiving every batch, and OpenSearch catches up on the retries.
 */
@Processor(REQUEST_METRICS_QUEUE)
export class RequestBatchProcessor extends WorkerHost {
  constructor(
    @Inject(METRICS_WRITER) private readonly writer: MetricsWriter,
    @Inject(METRICS_SEARCH) private readonly search: MetricsSearchStore | null,
    @Inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super();
  }

  async process(job: Job<unknown>): Promise<{ stored: number; indexed: number }> {
    const batch = RequestMetricBatchSchema.safeParse(job.data);
    // A batch no retry can mend goes straight to the failed set, with the reason.
    if (!batch.success) throw new UnrecoverableError(`not a batch of request records: ${batch.error.message}`);
    // Both stores at once: each write stands whatever the other's fate, so one store being down never holds the
    // other back, and the batch is retried (both writes skipping what they have) until both succeeded.
    const [stored, indexed] = await Promise.allSettled([
      this.writer.write(batch.data.records),
      this.search ? this.search.write(batch.data.records) : Promise.resolve(0),
    ]);
    if (stored.status === 'fulfilled') this.metrics.stored.inc(stored.value);
    if (indexed.status === 'fulfilled') this.metrics.indexed.inc(indexed.value);
    if (stored.status === 'rejected') throw stored.reason;
    if (indexed.status === 'rejected') throw indexed.reason;
    return { stored: stored.value, indexed: indexed.value };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn({ err: error, jobId: job?.id, attempts: job?.attemptsMade }, 'a batch of request metrics failed');
  }
}
