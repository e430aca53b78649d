/**
 * Answers to read-model queries, kept until the read model of their workspace changes.
 *
 * It is only as good as the change notices it gets: `changed` must be called for every commit that touches a
 * cached query's rows (the projection runner notifies them through PostgreSQL), and nothing is served while
 * those notices may be missing (`suspend`, until `resume` once they flow again). A read that started before a
 * change and finished after it is never kept: `stamp` is taken before the read and `put` refuses a stale stamp.
 */
export class QueryCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private readonly versions = new Map<string, number>();
  private epoch = 0;
  private live = false;
  private bytes = 0;

  constructor(private readonly limits: QueryCacheLimits = { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 }) {}

  /** Where the workspace's read models stand now; undefined while answers must not be cached. */
  stamp(workspaceId: string): CacheStamp | undefined {
    return this.live ? { epoch: this.epoch, version: this.versions.get(workspaceId) ?? 0 } : undefined;
  }

  get(key: string, workspaceId: string): Uint8Array | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!this.live || !this.current(entry, workspaceId)) {
      this.remove(key, entry);
      return undefined;
    }
    // Marked rather than moved to the end: a delete and a set on every hit would have the map rehash every few hits
    // (see WaitingRequests). Eviction gives a marked entry a second chance instead.
    entry.used = true;
    return entry.answer;
  }

  put(key: string, workspaceId: string, stamp: CacheStamp, answer: Uint8Array): void {
    if (!this.live || stamp.epoch !== this.epoch || stamp.version !== (this.versions.get(workspaceId) ?? 0)) return;
    const size = answer.byteLength + key.length * 2;
    if (size > this.limits.maxBytes / 16) return;
    const earlier = this.entries.get(key);
    if (earlier) this.remove(key, earlier);
    this.entries.set(key, { workspaceId, epoch: stamp.epoch, version: stamp.version, answer, size, used: false });
    this.bytes += size;
    // Oldest first; one used since it came (or since its last chance) goes to the end, unmarked.
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldest, entry);
      } else {
        this.bytes -= entry.size;
      }
    }
  }

  /** The read models of these workspaces changed: their cached answers are stale from now on. */
  changed(workspaceIds: Iterable<string>): void {
    for (const workspaceId of workspaceIds) this.versions.set(workspaceId, (this.versions.get(workspaceId) ?? 0) + 1);
  }

  /** Anything may have changed (a rebuild, or a notice too large to name its workspaces). */
  changedAll(): void {
    this.epoch++;
    this.clear();
  }

  /** Change notices may be missed from now on (the connection that receives them was lost): serve nothing. */
  suspend(): void {
    this.live = false;
    this.clear();
  }

  /** Change notices flow again; what was read before is not trusted. */
  resume(): void {
    this.epoch++;
    this.clear();
    this.live = true;
  }

  get size(): number {
    return this.entries.size;
  }

  private current(entry: CachedAnswer, workspaceId: string): boolean {
    return (
      entry.workspaceId === workspaceId &&
      entry.epoch === this.epoch &&
      entry.version === (this.versions.get(workspaceId) ?? 0)
    );
  }

  private remove(key: string, entry: CachedAnswer): void {
    this.entries.delete(key);
    this.bytes -= entry.size;
  }

  private clear(): void {
    this.entries.clear();
    this.versions.clear();
    this.bytes = 0;
  }
}

export interface QueryCacheLimits {
  readonly maxEntries: number;
  /** Approximate: keys counted at two bytes a character. */
  readonly maxBytes: number;
}

export interface CacheStamp {
  readonly epoch: number;
  readonly version: number;
}

interface CachedAnswer extends CacheStamp {
  readonly workspaceId: string;
  /** The answer's JSON as message bytes, encoded once and sent as they are on every hit. */
  readonly answer: Uint8Array;
  readonly size: number;
  /** Served since it was stored or last passed over by eviction. */
  used: boolean;
}
