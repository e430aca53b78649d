import type { UploadStore } from '@platform/build';
import { FollowLoop, LeaderLease, type LogSink } from '@platform/event-store';
import type { Pool } from 'pg';

export interface UploadSweepOptions {
  readonly uploads: UploadStore;
  /** Where the lease is taken, so that one gateway replica at a time sweeps. */
  readonly pool: Pool;
  readonly schema: string;
  /** An upload no deployment used for this long is deleted. */
  readonly unusedTtlMs: number;
  /** How often the uploads are looked at. */
  readonly everyMs: number;
  readonly logger: LogSink;
}

/**
 * Deletes the uploads no deployment built from within their time (see UploadStore.pruneUnused), on the gateway
 * replica that holds the lease: stored bytes do not pile up from archives sent and never deployed.
 */
export class UploadSweep {
  private readonly loop: FollowLoop;

  constructor(private readonly options: UploadSweepOptions) {
    this.loop = new FollowLoop({
      name: 'upload sweep',
      lease: new LeaderLease(options.pool, `${options.schema}:upload-sweep`),
      step: () => this.sweep(),
      idleMs: options.everyMs,
      standbyMs: options.everyMs,
      logger: options.logger,
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Sweeps once; the loop then waits `everyMs`. */
  async sweep(): Promise<false> {
    const removed = await this.options.uploads.pruneUnused(new Date(Date.now() - this.options.unusedTtlMs));
    if (removed.length > 0) {
      this.options.logger.info({ uploadIds: removed }, `deleted ${removed.length} uploads no deployment used`);
    }
    return false;
  }
}
