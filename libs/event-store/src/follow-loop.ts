import type { EventEmitter } from 'node:events';
import type { LeaderLease } from './leadership';

/** The part of a pino logger the loops use, so any structured logger fits. */
export interface LogSink {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface FollowLoopOptions {
  readonly name: string;
  readonly lease: LeaderLease;
  /** Handles one batch and returns how many events it handled; 0 means caught up. */
  readonly step: () => Promise<number>;
  /** Emits `wakeOn` when there may be new work, to skip the idle wait. */
  readonly wake?: EventEmitter;
  /** The signal of `wake` to listen to; default 'appended'. */
  readonly wakeOn?: 'appended' | 'projected';
  /** Longest wait for new events when caught up (other replicas' appends are only seen by polling). */
  readonly idleMs?: number;
  /** How often a standby replica tries to take the lease over. */
  readonly standbyMs?: number;
  readonly logger?: LogSink;
}

/** Runs `step` over and over on the replica holding the lease; the other replicas wait on standby. */
export class FollowLoop {
  private running: Promise<void> | undefined;
  private stopping = new AbortController();
  private leading = false;

  constructor(private readonly options: FollowLoopOptions) {}

  get isLeader(): boolean {
    return this.leading && this.options.lease.held;
  }

  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    this.running = undefined;
    this.leading = false;
    await this.options.lease.release();
  }

  private async run(): Promise<void> {
    const { lease, step, logger, name } = this.options;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (!(await lease.tryAcquire())) {
          if (this.leading) logger?.warn({ loop: name }, 'lost the lease; standing by');
          this.leading = false;
          await this.pause(this.options.standbyMs ?? 1000);
          continue;
        }
        if (!this.leading) logger?.info({ loop: name }, 'took the lease; following the event log');
        this.leading = true;
        const handled = await step();
        failures = 0;
        if (handled === 0) await this.pause(this.options.idleMs ?? 250, this.options.wake, this.options.wakeOn ?? 'appended');
      } catch (error) {
        failures++;
        logger?.error({ loop: name, err: error, failures }, 'batch failed; retrying');
        await this.pause(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  /** Waits `ms`, or less when woken by `wakeOn` or stop(); without an AbortError made at every wake. */
  private pause(ms: number, wake?: EventEmitter, wakeOn = 'appended'): Promise<void> {
    const { signal } = this.stopping;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake?.off(wakeOn, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      wake?.once(wakeOn, done);
    });
  }
}
