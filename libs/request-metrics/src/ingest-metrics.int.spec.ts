import { REQUEST_METRICS_QUEUE } from '@platform/contracts';
import { testServices, uniqueName } from '@platform/testing';
import { Queue } from 'bullmq';
import { IngestMetrics } from './ingest-metrics';
import { BATCH_JOB } from './queue';
import { aRecord } from './test-support';

describe("the metrics service's Prometheus metrics", () => {
  it('report the batches waiting, how long the oldest has waited, and the records stored', async () => {
    const queue = new Queue(REQUEST_METRICS_QUEUE, {
      connection: { url: testServices.redisUrl },
      prefix: uniqueName('ingestmetrics'),
    });
    try {
      const metrics = new IngestMetrics(queue);
      expect(await metrics.scrape()).toContain('request_metrics_ingest_lag_seconds 0');
      await queue.addBulk([
        { name: BATCH_JOB, data: { records: [aRecord()] }, opts: { timestamp: Date.now() - 90_000 } },
        { name: BATCH_JOB, data: { records: [aRecord()] } },
      ]);
      metrics.stored.inc(3);
      const text = await metrics.scrape();
      expect(text).toContain('request_metrics_queue_batches{state="waiting"} 2');
      expect(text).toContain('request_metrics_queue_batches{state="failed"} 0');
      expect(text).toContain('request_metrics_records_stored_total 3');
      const lag = Number(/^request_metrics_ingest_lag_seconds (\S+)$/m.exec(text)?.[1]);
      expect(lag).toBeGreaterThanOrEqual(90);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
