import type { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;

/** `2026-12-06` of a UTC day. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function partitionName(day: string): string {
  return `request_metrics_p${day.replace(/-/g, '')}`;
}

/**
 * The day partitions of the request table: made before records of a day are written (and a day ahead, so the
 * first requests after midnight find theirs), dropped whole once older than the retention.
 */
export class MetricsPartitions {
  /** Days known to have their partition, so that a write makes none but the first of its day. */
  private readonly known = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  async ensure(days: Iterable<string>): Promise<void> {
    const missing = [...new Set(days)].filter((day) => !this.known.has(day));
    if (missing.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      // Two workers making the same partition at once would fail one of them: they take turns.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.schema}.request_metrics`]);
      for (const day of missing) {
        const next = dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS));
        await manager.query(
          `CREATE TABLE IF NOT EXISTS "${this.schema}".${partitionName(day)} PARTITION OF "${this.schema}".request_metrics
             FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}T00:00:00Z')`,
        );
      }
    });
    for (const day of missing) this.known.add(day);
  }

  /** Forgets what it knew (a write found no partition: another replica's retention dropped it). */
  forget(): void {
    this.known.clear();
  }

  /** Today's and tomorrow's partitions. */
  ensureAhead(now = new Date()): Promise<void> {
    return this.ensure([dayOf(now), dayOf(new Date(now.getTime() + DAY_MS))]);
  }

  /** Drops the partitions of days that ended more than `retentionDays` ago; returns the days dropped. */
  async dropOlderThan(retentionDays: number, now = new Date()): Promise<string[]> {
    const oldestKept = dayOf(new Date(now.getTime() - retentionDays * DAY_MS));
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT child.relname AS name
         FROM pg_inherits
         JOIN pg_class child ON child.oid = pg_inherits.inhrelid
         JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
         JOIN pg_namespace ns ON ns.oid = parent.relnamespace
        WHERE ns.nspname = $1 AND parent.relname = 'request_metrics'`,
      [this.schema],
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const match = /^request_metrics_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!match) continue;
      const day = `${match[1]}-${match[2]}-${match[3]}`;
      if (day >= oldestKept) continue;
      await this.dataSource.query(`DROP TABLE IF EXISTS "${this.schema}".${name}`);
      this.known.delete(day);
      dropped.push(day);
    }
    return dropped.sort();
  }
}
