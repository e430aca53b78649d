/**
 * Work started and not finished, for a stop to wait on. A count rather than a Set of the promises: a long-lived
 * Set that takes and drops an entry per message keeps, in the tables it replaces as it rehashes, the work that was
 * running at that moment alive until the next full collection (see WaitingRequests).
 */
export class PendingWork {
  private running = 0;
  private idle?: { readonly promise: Promise<void>; readonly resolve: () => void };

  /** Counts `work` until it settles, whether it resolves or rejects (the caller handles its outcome). */
  track(work: Promise<unknown>): void {
    this.running++;
    const finished = (): void => {
      this.running--;
      if (this.running === 0 && this.idle) {
        this.idle.resolve();
        this.idle = undefined;
      }
    };
    work.then(finished, finished);
  }

  get size(): number {
    return this.running;
  }

  /** Resolves once nothing is running. */
  settled(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    if (!this.idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((settle) => (resolve = settle));
      this.idle = { promise, resolve };
    }
    return this.idle.promise;
  }
}
