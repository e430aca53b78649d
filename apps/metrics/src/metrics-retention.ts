import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { MetricsPartitions } from '@platform/request-metrics';
import { SERVICE_LOGGER } from '@platform/service-kit';
import type { Logger } from 'pino';
import type { MetricsConfig } from './metrics-config';
import { METRICS_CONFIG, METRICS_PARTITIONS } from './metrics.tokens';

const HOUR_MS = 3_600_000;

/** Every hour: the next day's partition made ahead, and the partitions past METRICS_RETENTION_DAYS dropped. */
@Injectable()
export class MetricsRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(METRICS_PARTITIONS) private readonly partitions: MetricsPartitions,
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
  }
}
