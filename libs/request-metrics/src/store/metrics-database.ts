import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { requestMetricsMigrations } from './migrations';
import { RequestMetric } from './request-metric.entity';

export interface MetricsDatabaseSettings {
  readonly url: string;
  readonly schema: string;
  readonly poolSize: number;
}

/** TypeORM's settings for the metrics store: its entity and migrations, in the service's own schema. */
export function metricsDataSourceOptions(settings: MetricsDatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    schema: settings.schema,
    entities: [RequestMetric],
    migrations: requestMetricsMigrations,
    migrationsTableName: 'typeorm_migrations',
    extra: { max: settings.poolSize },
  };
}

/**
 * The metrics store, ready: its schema made (TypeORM keeps its migration table there, so the schema comes first),
 * then the migrations run under an advisory lock so that replicas starting together do not race.
 */
export async function openMetricsDatabase(options: DataSourceOptions): Promise<DataSource> {
  const { url, schema } = options as { url?: string; schema?: string };
  if (!url || !schema) throw new Error('the metrics data source needs a url and a schema');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
  const dataSource = await new DataSource(options).initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}.migrations`]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}.migrations`]).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
}
