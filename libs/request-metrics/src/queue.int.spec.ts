import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, freePort, testServices, uniqueName } from '@platform/testing';
import { Redis } from 'ioredis';
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

  it('with Redis stopped for 10 s under load: adding never fails, drops are counted, and capture resumes', async () => {
    // A Redis of this test's own: the machine's shared one is never stopped.
    const port = await freePort();
    const startRedis = async (): Promise<ChildProcess> => {
      const redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      await eventually(async () => {
        const probe = new Redis(port, '127.0.0.1', {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          expect(await probe.ping()).toBe('PONG');
        } finally {
          probe.disconnect();
        }
      }, 10_000);
      return redis;
    };
    const stopRedis = async (redis: ChildProcess) => {
      const exited = new Promise((resolve) => redis.once('exit', resolve));
      redis.kill('SIGKILL');
      await exited;
    };
    let redis = await startRedis();
    let redisUp = true;
    const queue = new RequestMetricsQueue({ redisUrl: `redis://127.0.0.1:${port}`, prefix: uniqueName('metricsdown') });
    const buffer = new CaptureBuffer(queue, { ...defaultCaptureBufferOptions, capacity: 5000, logger: silent });
    buffer.start();
    let added = 0;
    let addFailures = 0;
    let load = true;
    // About 2,000 requests a second, as a busy gateway would record them.
    const loading = (async () => {
      while (load) {
        for (let n = 0; n < 20; n++) {
          try {
            buffer.add(aRecord());
            added++;
          } catch {
            addFailures++;
          }
        }
        await sleep(10);
      }
    })();
    try {
      await sleep(1000);
      await stopRedis(redis);
      redisUp = false;
      await sleep(10_000);
      // Held in memory up to the capacity (beside the batch whose send is still waiting), the oldest dropped.
      const whileDown = buffer.stats;
      expect(whileDown.buffered).toBeLessThanOrEqual(5000);
      expect(whileDown.dropped).toBeGreaterThan(0);
      redis = await startRedis();
      redisUp = true;
      await sleep(2000);
      load = false;
      await loading;
      // Everything still held reaches the queue once Redis is back.
      await eventually(async () => {
        await buffer.flush();
        expect(buffer.stats.buffered).toBe(0);
      }, 15_000);
      const { sent, dropped } = buffer.stats;
      expect(addFailures).toBe(0);
      expect(sent + dropped).toBe(added);
      expect(dropped).toBeGreaterThanOrEqual(whileDown.dropped);
      const counts = await queue.queue.getJobCounts('waiting');
      // Records sent before the stop lived in the stopped Redis (it keeps nothing on disk); the rest are queued.
      expect(counts.waiting).toBeGreaterThan(0);
    } finally {
      load = false;
      await loading;
      if (!redisUp) redis = await startRedis();
      await buffer.stop();
      await queue.close();
      await stopRedis(redis);
    }
  }, 60_000);
});
