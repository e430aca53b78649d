/** How long a build line may wait to be recorded: the log follows the build live without an event per line. */
const RECORD_AFTER_MS = 500;
/** The most lines one log event holds. */
const LINES_PER_EVENT = 200;
/** The most bytes of lines one log event holds: far under NATS's `max_payload` (1 MiB), so every event is published. */
export const BYTES_PER_EVENT = 64 * 1024;
/** A longer line is cut (a command printing megabytes without a newline is one line). */
export const MAX_LINE_CHARS = 4096;
/** What a build log keeps by default (`BUILD_LOG_KEEP_BYTES`). */
export const DEFAULT_BUILD_LOG_KEEP_BYTES = 256 * 1024;

/**
 * A build's output recorded in the deployment's log as it comes, in batches and in order. However the build ends,
 * `close` records what is left: a failed build's output is the one the user needs most.
 *
 * The log is bounded, so that no build can flood the event log and everyone's live streams: the first `keepBytes`
 * of output are recorded live; past them only the last `keepBytes` are kept, and recorded at the end after a line
 * saying how many lines were dropped in between.
 */
export class BuildLog {
  private pending: string[] = [];
  private pendingBytes = 0;
  private liveBytes = 0;
  /** Once the live part is full: the last lines, from `tailStart` on, and their size. */
  private tail: string[] | undefined;
  private tailStart = 0;
  private tailBytes = 0;
  private dropped = { lines: 0, bytes: 0 };
  private timer: NodeJS.Timeout | undefined;
  private recorded: Promise<void> = Promise.resolve();

  constructor(
    private readonly record: (lines: string[]) => Promise<unknown>,
    private readonly keepBytes = DEFAULT_BUILD_LOG_KEEP_BYTES,
  ) {}

  /** A message of the builder's: one line or several. */
  add(message: string): void {
    for (const line of message.split('\n')) {
      const trimmed = line.trimEnd();
      if (trimmed) this.addLine(cut(trimmed));
    }
    if (this.pending.length >= LINES_PER_EVENT || this.pendingBytes >= BYTES_PER_EVENT) this.recordPending();
    else if (this.pending.length > 0) this.timer ??= setTimeout(() => this.recordPending(), RECORD_AFTER_MS);
  }

  /** Records what is left after every batch before it; fails if a batch could not be recorded. */
  async close(): Promise<void> {
    if (this.tail) {
      const kept = this.tail.slice(this.tailStart);
      this.tail = undefined;
      if (this.dropped.lines > 0) {
        this.queue(
          `… ${this.dropped.lines} lines (${kib(this.dropped.bytes)} KiB) of output were dropped here: a build log keeps its first and its last ${kib(this.keepBytes)} KiB`,
        );
      }
      for (const line of kept) this.queue(line);
    }
    this.recordPending();
    await this.recorded;
  }

  private addLine(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (!this.tail && this.liveBytes + bytes <= this.keepBytes) {
      this.liveBytes += bytes;
      this.queue(line);
      return;
    }
    this.tail ??= [];
    this.tail.push(line);
    this.tailBytes += bytes;
    while (this.tailBytes > this.keepBytes) {
      const oldest = this.tail[this.tailStart++];
      const oldestBytes = Buffer.byteLength(oldest);
      this.tailBytes -= oldestBytes;
      this.dropped.lines++;
      this.dropped.bytes += oldestBytes;
    }
    // Lines dropped from the front are let go of now and then, not one by one (that would move the whole array).
    if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  private queue(line: string): void {
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
  }

  private recordPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    let start = 0;
    while (start < this.pending.length) {
      let end = start;
      let bytes = 0;
      while (end < this.pending.length && end - start < LINES_PER_EVENT) {
        const lineBytes = Buffer.byteLength(this.pending[end]);
        if (end > start && bytes + lineBytes > BYTES_PER_EVENT) break;
        bytes += lineBytes;
        end++;
      }
      const batch = this.pending.slice(start, end);
      this.recorded = this.recorded.then(async () => void (await this.record(batch)));
      start = end;
    }
    this.pending = [];
    this.pendingBytes = 0;
    // A batch that failed is reported by `close`, not as an unhandled rejection before it.
    this.recorded.catch(() => undefined);
  }
}

function cut(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  return `${line.slice(0, MAX_LINE_CHARS)} … (${line.length - MAX_LINE_CHARS} more characters cut)`;
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0);
}
