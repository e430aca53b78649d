import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Bus } from '@platform/bus';
import type { UploadStore } from '@platform/build';
import {
  GATEWAY_LOGGER,
  IDEMPOTENCY,
  IDENTITY,
  type EventFeed,
  type EventHub,
  type GatewayConfig,
  type IdempotencyStore,
  UploadSweep,
} from '@platform/http-api';
import type { Identity } from '@platform/identity';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { BUS, EVENT_FEED, EVENT_HUB, GATEWAY_CONFIG, PG_POOL, REDIS, UPLOADS } from './tokens';

/** Start-up (migrations, event feed, cache notices) and an orderly stop of the gateway's connections. */
@Injectable()
export class GatewayRuntime
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(IDENTITY) private readonly identity: Identity,
    @Inject(IDEMPOTENCY) private readonly idempotency: IdempotencyStore,
    @Inject(EVENT_FEED) private readonly feed: EventFeed,
    @Inject(EVENT_HUB) private readonly hub: EventHub,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(UPLOADS) uploads: UploadStore,
  ) {
    this.uploadSweep = new UploadSweep({
      uploads,
      pool,
      schema: config.GATEWAY_SCHEMA,
      unusedTtlMs: config.UPLOAD_UNUSED_TTL_HOURS * 3_600_000,
      everyMs: 3_600_000,
      logger: logger.child({ component: 'uploads' }),
    });
  }

  private readonly uploadSweep: UploadSweep;

  async onModuleInit(): Promise<void> {
    await this.identity.migrate();
    await this.idempotency.migrate();
    await this.feed.migrate();
  }

  private maintenance: NodeJS.Timeout | undefined;
  private streamChecks: NodeJS.Timeout | undefined;

  async onApplicationBootstrap(): Promise<void> {
    this.maintenance = setInterval(() => void this.pruneOldRecords(), 3_600_000).unref();
    this.bus.connection.subscribe(this.bus.subjects.identityChanges(), {
      callback: (error, message) => {
        if (error) return;
        const notice = message.json<unknown>();
        if (!Array.isArray(notice)) return;
        const userIds = notice.filter((id): id is string => typeof id === 'string');
        this.identity.cache.forgetUsers(userIds);
        void this.hub.recheck(userIds);
      },
    });
    // Notices are best effort, and credentials expire without one: every stream is checked again now and then too.
    this.streamChecks = setInterval(() => void this.hub.recheck(), this.config.SSE_RECHECK_MS).unref();
    await this.hub.start();
    this.uploadSweep.start();
  }

  /** Event streams never end by themselves: end them before the HTTP server waits for its connections. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.maintenance);
    clearInterval(this.streamChecks);
    await Promise.all([this.hub.stop(), this.uploadSweep.stop()]);
  }

  /**
   * Idempotency keys live a day; the event feed as long as a client may reasonably want to resume; audit entries
   * as long as AUDIT_RETENTION_DAYS says.
   */
  private async pruneOldRecords(): Promise<void> {
    try {
      await this.idempotency.prune();
      await this.feed.prune(this.config.EVENT_FEED_RETENTION_DAYS);
      await this.identity.audit.prune(this.config.AUDIT_RETENTION_DAYS);
    } catch (error) {
      this.logger.warn(
        { err: error },
        'pruning old idempotency keys, feed events and audit entries failed; will retry in an hour',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.redis.quit().catch(() => undefined);
    await this.pool.end();
    this.logger.info('gateway stopped');
  }
}
