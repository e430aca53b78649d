import type { RequestMetricRecord } from '@platform/contracts';
import type { Logger } from 'pino';

/** Where batches of records go (BullMQ, see RequestMetricsQueue); a rejection means "not taken, keep them". */
export interface RequestMetricsSink {
  send(batches: readonly RequestMetricRecord[][]): Promise<void>;
}

export interface CaptureBufferOptions {
  /** Records held while the sink is unreachable; past it the oldest are dropped. */
  readonly capacity: number;
  readonly flushIntervalMs: number;
  /** Records per batch, and the count that starts a flush before the interval ends. */
  readonly batchSize: number;
  /** How often dropped records are reported in the log (a line only when some were dropped). */
  readonly dropReportIntervalMs: number;
  readonly logger: Logger;
}

export const defaultCaptureBufferOptions = {
  capacity: 50_000,
  flushIntervalMs: 100,
  batchSize: 500,
  dropReportIntervalMs: 60_000,
} as const;

export interface CaptureCounters {
  /** Records handed to the sink. */
  readonly sent: number;
  /** Records dropped because the buffer was full (the sink unreachable for a while). */
  readonly dropped: number;
  readonly buffered: number;
}

/**
 * Holds request records in memory and hands them to the sink in batches, every `flushIntervalMs` or as soon as a
 * batch is full. `add` never waits and never throws: a request must not wait or fail because of its metrics. While
 * the sink refuses, records stay here up to `capacity`; beyond that the oldest are dropped and counted.
 */
export class CaptureBuffer {
  private records: RequestMetricRecord[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private counters = { sent: 0, dropped: 0 };
  private droppedSinceReport = 0;
  private lastFailure: unknown;

  constructor(
    private readonly sink: RequestMetricsSink,
    private readonly options: CaptureBufferOptions,
  ) {}

  start(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushIntervalMs).unref();
    this.reportTimer = setInterval(() => this.reportDrops(), this.options.dropReportIntervalMs).unref();
  }

  add(record: RequestMetricRecord): void {
    this.records.push(record);
    if (this.records.length > this.options.capacity) this.drop(this.records.length - this.options.capacity);
    if (this.records.length >= this.options.batchSize && !this.flushing) setImmediate(() => void this.flush());
  }

  get stats(): CaptureCounters {
    return { ...this.counters, buffered: this.records.length };
  }

  /** Hands everything held to the sink (one flush at a time); what the sink refuses is kept for the next one. */
  flush(): Promise<void> {
    if (this.flushing || this.records.length === 0) return this.flushing ?? Promise.resolve();
    const taken = this.records;
    this.records = [];
    const batches: RequestMetricRecord[][] = [];
    for (let start = 0; start < taken.length; start += this.options.batchSize)
      batches.push(taken.slice(start, start + this.options.batchSize));
    this.flushing = this.sink.send(batches).then(
      () => {
        this.counters.sent += taken.length;
        this.lastFailure = undefined;
      },
      (error: unknown) => {
        this.lastFailure = error;
        // Older than anything added meanwhile: back in front, and the first to go if the buffer overflows.
        this.records = taken.concat(this.records);
        if (this.records.length > this.options.capacity) this.drop(this.records.length - this.options.capacity);
      },
    );
    void this.flushing.finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timers and makes one last attempt to hand over what is held. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.reportTimer);
    await this.flushing;
    await this.flush();
    this.reportDrops();
  }

  private drop(count: number): void {
    this.records.splice(0, count);
    this.counters.dropped += count;
    this.droppedSinceReport += count;
  }

  private reportDrops(): void {
    if (this.droppedSinceReport === 0) return;
    this.options.logger.warn(
      { dropped: this.droppedSinceReport, droppedTotal: this.counters.dropped, err: this.lastFailure },
      'request metrics dropped: their queue (Redis) did not take them and the capture buffer is full',
    );
    this.droppedSinceReport = 0;
  }
}
