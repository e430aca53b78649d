import { DomainError, type FailedRequestBatch, type RequestMetricBatch } from '@platform/contracts';
import type { Job, Queue } from 'bullmq';
import { RequestMetricsQueue, type RequestMetricsQueueSettings } from './queue';

function viewOf(job: Job<RequestMetricBatch>): FailedRequestBatch {
  // A job refused as "not a batch" may hold anything: only what is there is shown.
  const records = Array.isArray(job.data?.records) ? job.data.records : [];
  return {
    id: String(job.id),
    records: records.length,
    attempts: job.attemptsMade,
    failedReason: job.failedReason ?? '',
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    firstRequestAt: typeof records[0]?.occurredAt === 'string' ? records[0].occurredAt : null,
  };
}

/**
 * The request queue's failed set: batches that kept failing after every retry (a store down for longer than the
 * back-off, or a batch no store accepts). An admin looks at them and queues one again once the cause is fixed.
 */
export class FailedBatches {
  private readonly queue: Queue<RequestMetricBatch>;
  private readonly owned: RequestMetricsQueue;

  constructor(settings: RequestMetricsQueueSettings) {
    this.owned = new RequestMetricsQueue(settings);
    this.queue = this.owned.queue;
  }

  /** Newest failure first. */
  async list(limit: number): Promise<FailedRequestBatch[]> {
    const jobs = await this.queue.getFailed(0, limit - 1);
    return jobs.map(viewOf);
  }

  /** Moves a failed batch back to the waiting jobs, its attempts counted afresh. */
  async retry(id: string): Promise<void> {
    const job = await this.queue.getJob(id);
    if (!job || !(await job.isFailed()))
      throw new DomainError('not_found', `no failed batch ${id}: it was retried already, or never failed`);
    await job.retry('failed', { resetAttemptsMade: true });
  }

  onApplicationShutdown(): Promise<void> {
    return this.owned.close();
  }
}
