import { REQUEST_METRICS_QUEUE, type RequestMetricBatch, type RequestMetricRecord } from '@platform/contracts';
import { Queue, type DefaultJobOptions } from 'bullmq';
import type { RequestMetricsSink } from './capture/capture-buffer';

/** Where the queue lives: Redis, and a key prefix that namespaces it (one per test file). */
export interface RequestMetricsQueueSettings {
  readonly redisUrl: string;
  readonly prefix: string;
}

/** Name of the jobs that carry a batch (RequestMetricBatch). */
export const BATCH_JOB = 'batch';

/**
 * A batch is retried with back-off while a store is down (about 17 minutes in all); one that keeps failing stays
 * in the queue's failed set, where an admin can look at it and retry it. Done batches are not kept.
 */
export const batchJobOptions: DefaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { count: 10_000 },
};

/**
 * The capture's sink: each batch becomes one BullMQ job, all of a flush in one `addBulk`. The job id is the first
 * record's id, so a batch sent again after an answer was lost is not queued twice. While Redis is away a send fails
 * after one reconnection attempt (about a second), and the capture buffer keeps the records meanwhile.
 */
export class RequestMetricsQueue implements RequestMetricsSink {
  readonly queue: Queue<RequestMetricBatch>;

  constructor(settings: RequestMetricsQueueSettings) {
    this.queue = new Queue<RequestMetricBatch>(REQUEST_METRICS_QUEUE, {
      connection: { url: settings.redisUrl, maxRetriesPerRequest: 1 },
      prefix: settings.prefix,
      skipWaitingForReady: true,
      defaultJobOptions: batchJobOptions,
    });
    // Redis being away is reported by the capture buffer's drop count, not once per reconnection attempt.
    this.queue.on('error', () => undefined);
  }

  async send(batches: readonly RequestMetricRecord[][]): Promise<void> {
    await this.queue.addBulk(
      batches.map((records) => ({ name: BATCH_JOB, data: { records }, opts: { jobId: records[0].id } })),
    );
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
