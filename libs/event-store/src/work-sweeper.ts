import type { EventStore } from './event-store';
import { FollowLoop, type LogSink } from './follow-loop';
import { LeaderLease } from './leadership';
import { projectedSignal } from './projections';

export interface WorkSweeperOptions<Item> {
  readonly name: string;
  readonly store: EventStore;
  /** The unfinished work, as the read models show it. */
  readonly pending: () => Promise<readonly Item[]>;
  readonly keyOf: (item: Item) => string;
  /** Carries one item on as far as it can go now; errors are logged and the item is tried again later. */
  readonly work: (item: Item) => Promise<void>;
  /** The projections whose read models `pending` looks at: a batch committed by one of them wakes the sweeper. */
  readonly projections: readonly string[];
  /** How often the read models are looked at again (sooner when one of `projections` moves in this process). */
  readonly pollMs?: number;
  readonly logger: LogSink;
}

/**
 * The loop of a process manager: on the replica holding the lease, it looks at the unfinished work in the read
 * models and starts each item that has nothing running here, again after `pollMs` or as soon as a projection
 * moved. Whichever replica holds the lease after a crash carries every item on from its last recorded step.
 */
export class WorkSweeper<Item> {
  private readonly loop: FollowLoop;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly options: WorkSweeperOptions<Item>) {
    this.loop = new FollowLoop({
      name: options.name,
      lease: new LeaderLease(options.store.pool, `${options.store.schema}:${options.name}`),
      step: () => this.sweep(),
      wake: options.store.signals,
      wakeOn: options.projections.map(projectedSignal),
      idleMs: options.pollMs ?? 1000,
      standbyMs: options.pollMs ?? 1000,
      logger: options.logger,
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.inFlight.values());
  }

  /** Always reports nothing left now, so the loop waits for `pollMs` or the next projected batch. */
  private async sweep(): Promise<boolean> {
    for (const item of await this.options.pending()) {
      const key = this.options.keyOf(item);
      if (this.inFlight.has(key)) continue;
      const running = this.options
        .work(item)
        .catch((error: unknown) =>
          this.options.logger.error({ [this.options.name]: key, err: error }, 'a step failed; it is tried again'),
        )
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return false;
  }
}

/**
 * A process manager the sweeper carries on: `advance` takes one unfinished item as far as it can go now, from the
 * steps recorded so far, and `start`/`stop` run and end the sweeping (on the replica holding the lease).
 */
export abstract class SweptProcess<Item> {
  private readonly sweeper: WorkSweeper<Item>;

  protected constructor(options: Omit<WorkSweeperOptions<Item>, 'work'>) {
    this.sweeper = new WorkSweeper({ ...options, work: (item) => this.advance(item) });
  }

  abstract advance(item: Item): Promise<void>;

  start(): void {
    this.sweeper.start();
  }

  stop(): Promise<void> {
    return this.sweeper.stop();
  }
}
