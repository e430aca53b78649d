import type { Queue } from 'bullmq';
import { Counter, Gauge, Registry } from 'prom-client';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * The metrics service's Prometheus metrics: batches in the queue by state (`failed` is the set an admin looks
 * at), how long the oldest waiting batch has waited (the ingest lag), and records stored in PostgreSQL and in
 * OpenSearch. Read from Redis when
 * scraped, so every replica reports the same queue.
 */
export class IngestMetrics {
  readonly registry = new Registry();
  readonly stored: Counter;
  readonly indexed: Counter;

  constructor(queue: Queue) {
    this.stored = new Counter({
      name: 'request_metrics_records_stored_total',
      help: 'Request records stored in PostgreSQL by this replica (a retried batch counts only its new records)',
      registers: [this.registry],
    });
    this.indexed = new Counter({
      name: 'request_metrics_records_indexed_total',
      help: 'Request records stored in OpenSearch by this replica (a retried batch counts only its new records)',
      registers: [this.registry],
    });
    new Gauge({
      name: 'request_metrics_queue_batches',
      help: 'Batches of request records in the queue, by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
    new Gauge({
      name: 'request_metrics_ingest_lag_seconds',
      help: 'How long the oldest waiting batch has been in the queue (0 when none waits)',
      registers: [this.registry],
      async collect() {
        const [oldest] = await queue.getJobs(['waiting'], 0, 0, true);
        this.set(oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
      },
    });
  }

  /** The text Prometheus scrapes. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
