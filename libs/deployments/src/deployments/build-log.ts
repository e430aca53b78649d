/** How long a build line may wait to be recorded: the log follows the build live without an event per line. */
const RECORD_AFTER_MS = 500;
/** The most lines one log event holds. */
const LINES_PER_EVENT = 200;

/**
 * A build's output recorded in the deployment's log as it comes, in batches and in order. However the build ends,
 * `close` records what is left: a failed build's output is the one the user needs most.
 */
export class BuildLog {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private recorded: Promise<void> = Promise.resolve();

  constructor(private readonly record: (lines: string[]) => Promise<unknown>) {}

  /** A message of the builder's: one line or several. */
  add(message: string): void {
    this.pending.push(...message.split('\n').flatMap((line) => line.trimEnd() || []));
    if (this.pending.length >= LINES_PER_EVENT) this.recordPending();
    else if (this.pending.length > 0) this.timer ??= setTimeout(() => this.recordPending(), RECORD_AFTER_MS);
  }

  /** Records what is left after every batch before it; fails if a batch could not be recorded. */
  async close(): Promise<void> {
    this.recordPending();
    await this.recorded;
  }

  private recordPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, LINES_PER_EVENT);
      this.recorded = this.recorded.then(async () => void (await this.record(batch)));
    }
    // A batch that failed is reported by `close`, not as an unhandled rejection before it.
    this.recorded.catch(() => undefined);
  }
}
