import type { RequestMetricRecord } from '@platform/contracts';
import type { DataSource } from 'typeorm';
import { dayOf, type MetricsPartitions } from './partitions';
import { RequestMetric } from './request-metric.entity';

/** PostgreSQL's "no partition of relation found for row". */
const NO_PARTITION = '23514';

function rowOf(record: RequestMetricRecord): RequestMetric {
  const at = new Date(record.occurredAt);
  return Object.assign(new RequestMetric(), {
    ...record,
    occurredAt: at,
    year: at.getUTCFullYear(),
    month: at.getUTCMonth() + 1,
    day: at.getUTCDate(),
    hour: at.getUTCHours(),
  });
}

/**
 * Writes batches of records into the request table, each batch in one statement: all of it or none. A record
 * already stored (a batch retried after a crash, or taken by two workers) is skipped, so nothing is doubled.
 */
export class MetricsWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly partitions: MetricsPartitions,
  ) {}

  /** Returns how many records were new. */
  async write(records: readonly RequestMetricRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const rows = records.map(rowOf);
    await this.partitions.ensure(rows.map((row) => dayOf(row.occurredAt)));
    try {
      const result = await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(RequestMetric)
        .values(rows)
        .orIgnore()
        .returning('id')
        .updateEntity(false)
        .execute();
      return (result.raw as unknown[]).length;
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === NO_PARTITION) this.partitions.forget();
      throw error;
    }
  }
}
