import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { MetricsPartitions, MetricsSearchStore } from '@platform/request-metrics';
import { SERVICE_LOGGER } from '@platform/service-kit';
import type { Logger } from 'pino';
import type { MetricsConfig } from './metrics-config';
import { METRICS_CONFIG, METRICS_PARTITIONS, METRICS_SEARCH } from './metrics.tokens';

const HOUR_MS = 3_600_000;

/**
 * Every hour: the next day's partition made ahead, and the partitions past METRICS_RETENTION_DAYS dropped; in
 * OpenSearch (without ISM) the write index rolled over when due and backing indices past OPENSEARCH_RETENTION_DAYS
 * deleted.
 */
@Injectable()
export class MetricsRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(METRICS_PARTITIONS) private readonly partitions: MetricsPartitions,
    @Inject(METRICS_SEARCH) private readonly search: MetricsSearchStore | null,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), HOUR_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    try {
      await this.partitions.ensureAhead();
      const dropped = await this.partitions.dropOlderThan(this.config.METRICS_RETENTION_DAYS);
      if (dropped.length) this.logger.info({ dropped }, 'request metrics past their retention dropped');
    } catch (error) {
      this.logger.warn({ err: error }, 'request metrics retention failed; will retry in an hour');
    }
    if (!this.search) return;
    try {
      const deleted = await this.search.maintain();
      if (deleted.length)
        this.logger.info({ deleted }, 'OpenSearch indices of request metrics past their retention deleted');
    } catch (error) {
      this.logger.warn({ err: error }, 'OpenSearch retention of request metrics failed; will retry in an hour');
    }
  }
}
