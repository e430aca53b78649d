import { freePort, testServices, uniqueName } from '@platform/testing';
import pino from 'pino';
import { CaptureBuffer, defaultCaptureBufferOptions } from './capture/capture-buffer';
import { RequestMetricsQueue } from './queue';
import { aRecord } from './test-support';

const silent = pino({ level: 'silent' });

describe('request records on their way to the BullMQ queue', () => {
  it('go in batches of 500, one job each, a batch sent twice queued once', async () => {
    const queue = new RequestMetricsQueue({ redisUrl: testServices.redisUrl, prefix: uniqueName('metricsq') });
    const buffer = new CaptureBuffer(queue, { ...defaultCaptureBufferOptions, logger: silent });
    try {
      const records = Array.from({ length: 1200 }, () => aRecord());
      for (const record of records) buffer.add(record);
      await buffer.flush();
      expect(buffer.stats).toEqual({ sent: 1200, dropped: 0, buffered: 0 });
      const jobs = await queue.queue.getJobs(['waiting']);
      expect(jobs.map((job) => job.data.records.length).sort()).toEqual([200, 500, 500]);
      expect(jobs.flatMap((job) => job.data.records.map((record) => record.id)).sort()).toEqual(
        records.map((record) => record.id).sort(),
      );
      // The answer of an addBulk lost on the way back: the same batch again is the same job.
      await queue.send([records.slice(0, 500)]);
      expect(await queue.queue.getJobCountByTypes('waiting')).toBe(3);
    } finally {
      await buffer.stop();
      await queue.queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('with Redis unreachable: adding never throws nor waits, the oldest are dropped and counted', async () => {
    const queue = new RequestMetricsQueue({ redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix: 'unreachable' });
    const buffer = new CaptureBuffer(queue, { ...defaultCaptureBufferOptions, capacity: 1000, logger: silent });
    try {
      const records = Array.from({ length: 1500 }, () => aRecord());
      const started = performance.now();
      for (const record of records) buffer.add(record);
      const addingMs = performance.now() - started;
      await buffer.flush();
      expect(buffer.stats).toEqual({ sent: 0, dropped: 500, buffered: 1000 });
      // Not a timing check of the machine: 1500 adds that waited on a connection would take seconds, not this.
      expect(addingMs).toBeLessThan(1000);
    } finally {
      await buffer.stop();
      await queue.close();
    }
  });
});
