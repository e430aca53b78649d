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
  /** Handles one batch; true when more may be waiting already (a full batch), false when caught up. */
  readonly step: () => Promise<boolean>;
  /** Emits one of `wakeOn` when there may be new work, to skip the idle wait. */
  readonly wake?: EventEmitter;
  /** The signals of `wake` that mean new work; default `['appended']`. */
  readonly wakeOn?: readonly string[];
  /** Longest wait for new work when caught up (other replicas' appends are only seen by polling). */
  readonly idleMs?: number;
  /** How often a standby replica tries to take the lease over. */
  readonly standbyMs?: number;
  readonly logger?: LogSink;
}

/**
 * Runs `step` over and over on the replica holding the lease; the other replicas wait on standby. Signals are
 * heard while a step runs too: a step that caught up runs again at once only if work was signalled meanwhile,
 * otherwise the loop waits. (Checking again after every batch "in case" cost an empty read per batch, a
 * transaction and several round trips for each projection at every append.)
 */
export class FollowLoop {
  private running: Promise<void> | undefined;
  private stopping = new AbortController();
  private leading = false;
  private signalled = false;
  private wakeUp: (() => void) | undefined;
  private readonly onSignal = () => {
    this.signalled = true;
    this.wakeUp?.();
  };

  constructor(private readonly options: FollowLoopOptions) {}

  get isLeader(): boolean {
    return this.leading && this.options.lease.held;
  }

  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    for (const signal of this.wakeSignals()) this.options.wake?.on(signal, this.onSignal);
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    for (const signal of this.wakeSignals()) this.options.wake?.off(signal, this.onSignal);
    this.running = undefined;
    this.leading = false;
    await this.options.lease.release();
  }

  private wakeSignals(): readonly string[] {
    return this.options.wakeOn ?? ['appended'];
  }

  private async run(): Promise<void> {
    const { lease, step, logger, name } = this.options;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (!(await lease.tryAcquire())) {
          if (this.leading) logger?.warn({ loop: name }, 'lost the lease; standing by');
          this.leading = false;
          await this.pause(this.options.standbyMs ?? 1000, false);
          continue;
        }
        if (!this.leading) logger?.info({ loop: name }, 'took the lease; following the event log');
        this.leading = true;
        this.signalled = false;
        const more = await step();
        failures = 0;
        if (!more && !this.signalled) await this.pause(this.options.idleMs ?? 250, true);
      } catch (error) {
        failures++;
        logger?.error({ loop: name, err: error, failures }, 'batch failed; retrying');
        await this.pause(Math.min(100 * 2 ** failures, 5000), false);
      }
    }
  }

  /** Waits `ms`, or less when stopped or (if `wakeable`) signalled; without an AbortError made at every wake. */
  private pause(ms: number, wakeable: boolean): Promise<void> {
    const { signal } = this.stopping;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.wakeUp = done;
    });
  }
}
