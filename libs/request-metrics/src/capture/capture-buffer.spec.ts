import { randomUUID } from 'node:crypto';
import type { RequestMetricRecord } from '@platform/contracts';
import pino from 'pino';
import { CaptureBuffer, type RequestMetricsSink } from './capture-buffer';

function record(n: number): RequestMetricRecord {
  return {
    id: randomUUID(),
    requestId: `r${n}`,
    occurredAt: new Date().toISOString(),
    method: 'GET',
    route: '/v1/me',
    path: '/v1/me',
    query: {},
    status: 200,
    errorCode: null,
    latencyMs: 1,
    clientIp: '127.0.0.1',
    userAgent: null,
    referer: null,
    userId: null,
    workspaceId: null,
    tokenId: null,
    sessionId: null,
    country: null,
    service: 'test',
    replica: 'test-1',
  };
}

/** A sink that takes or refuses everything, as told. */
class SwitchableSink implements RequestMetricsSink {
  up = true;
  readonly batches: RequestMetricRecord[][] = [];
  async send(batches: readonly RequestMetricRecord[][]): Promise<void> {
    if (!this.up) throw new Error('connection refused');
    this.batches.push(...batches);
  }
}

const options = { capacity: 10, flushIntervalMs: 60_000, batchSize: 4, dropReportIntervalMs: 60_000 };

describe('the capture buffer', () => {
  it('hands records over in batches of at most batchSize, in order', async () => {
    const sink = new SwitchableSink();
    const buffer = new CaptureBuffer(sink, { ...options, logger: pino({ level: 'silent' }) });
    for (let n = 0; n < 9; n++) buffer.add(record(n));
    await buffer.flush();
    expect(sink.batches.map((batch) => batch.map((r) => r.requestId))).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r4', 'r5', 'r6', 'r7'],
      ['r8'],
    ]);
    expect(buffer.stats).toEqual({ sent: 9, dropped: 0, buffered: 0 });
  });

  it('keeps what the sink refused, drops the oldest beyond its capacity and counts them, then resumes', async () => {
    const sink = new SwitchableSink();
    sink.up = false;
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const buffer = new CaptureBuffer(sink, { ...options, logger });
    for (let n = 0; n < 8; n++) buffer.add(record(n));
    await buffer.flush();
    for (let n = 8; n < 15; n++) expect(() => buffer.add(record(n))).not.toThrow();
    await buffer.flush();
    expect(buffer.stats).toEqual({ sent: 0, dropped: 5, buffered: 10 });
    sink.up = true;
    await buffer.stop();
    expect(sink.batches.flat().map((r) => r.requestId)).toEqual([
      'r5',
      'r6',
      'r7',
      'r8',
      'r9',
      'r10',
      'r11',
      'r12',
      'r13',
      'r14',
    ]);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ dropped: 5, msg: expect.stringContaining('request metrics dropped') }),
    ]);
  });

  it('flushes on its own once a batch is full, without waiting for the interval', async () => {
    const sink = new SwitchableSink();
    const buffer = new CaptureBuffer(sink, { ...options, logger: pino({ level: 'silent' }) });
    buffer.start();
    for (let n = 0; n < 4; n++) buffer.add(record(n));
    await new Promise((resolve) => setImmediate(resolve));
    await buffer.flush();
    expect(sink.batches).toHaveLength(1);
    await buffer.stop();
  });
});
