import { Module } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { REQUEST_METRICS_QUEUE } from '@platform/contracts';
import {
  batchJobOptions,
  IngestMetrics,
  metricsDataSourceOptions,
  MetricsPartitions,
  MetricsQueries,
  MetricsReader,
  MetricsSearchStore,
  MetricsWriter,
  openMetricsDatabase,
  openSearchClient,
} from '@platform/request-metrics';
import { SERVICE_CONFIG, SERVICE_ENV, type ServiceConfig, type ServiceDefinition } from '@platform/service-kit';
import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { loadMetricsConfig, type MetricsConfig } from './metrics-config';
import { MetricsRetention } from './metrics-retention';
import {
  INGEST_METRICS,
  METRICS_CONFIG,
  METRICS_PARTITIONS,
  METRICS_READER,
  METRICS_SEARCH,
  METRICS_WRITER,
} from './metrics.tokens';
import { PrometheusController } from './prometheus.controller';
import { RequestBatchProcessor } from './request-batch.processor';
import { RequestMetricsController } from './request-metrics.controller';

export const metricsDefinition: ServiceDefinition = { context: 'metrics' };

function databaseSettings(config: ServiceConfig) {
  return { url: config.database.url, schema: config.database.schema, poolSize: config.database.poolSize };
}

@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [SERVICE_ENV],
      useFactory: (env: NodeJS.ProcessEnv) => {
        const config = loadMetricsConfig(env);
        // Workers block on Redis and must retry for ever (BullMQ's requirement): maxRetriesPerRequest null.
        return {
          connection: { url: config.REDIS_URL, maxRetriesPerRequest: null },
          prefix: config.METRICS_QUEUE_PREFIX,
        };
      },
    }),
    BullModule.registerQueue({ name: REQUEST_METRICS_QUEUE, defaultJobOptions: batchJobOptions }),
    TypeOrmModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: ServiceConfig) => metricsDataSourceOptions(databaseSettings(config)),
      dataSourceFactory: (options) => {
        if (!options) throw new Error('no data source options');
        return openMetricsDatabase(options);
      },
    }),
  ],
  controllers: [RequestMetricsController, PrometheusController],
  providers: [
    { provide: METRICS_CONFIG, inject: [SERVICE_ENV], useFactory: (env: NodeJS.ProcessEnv) => loadMetricsConfig(env) },
    {
      provide: METRICS_PARTITIONS,
      inject: [getDataSourceToken(), SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: ServiceConfig) =>
        new MetricsPartitions(dataSource, config.database.schema),
    },
    {
      provide: METRICS_WRITER,
      inject: [getDataSourceToken(), METRICS_PARTITIONS, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, partitions: MetricsPartitions, config: ServiceConfig) =>
        new MetricsWriter(dataSource, partitions, config.database.schema),
    },
    {
      provide: METRICS_SEARCH,
      inject: [METRICS_CONFIG],
      useFactory: ({ openSearch }: MetricsConfig) =>
        openSearch ? new MetricsSearchStore(openSearchClient(openSearch), openSearch) : null,
    },
    {
      provide: METRICS_READER,
      inject: [getDataSourceToken(), METRICS_SEARCH, METRICS_CONFIG],
      useFactory: (dataSource: DataSource, search: MetricsSearchStore | null, config: MetricsConfig) =>
        new MetricsReader(new MetricsQueries(dataSource), search, config.METRICS_RETENTION_DAYS),
    },
    {
      provide: INGEST_METRICS,
      inject: [getQueueToken(REQUEST_METRICS_QUEUE)],
      useFactory: (queue: Queue) => new IngestMetrics(queue),
    },
    RequestBatchProcessor,
    MetricsRetention,
  ],
})
export class MetricsModule {}
