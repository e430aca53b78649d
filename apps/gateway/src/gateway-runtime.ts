import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Bus } from '@platform/bus';
import { GATEWAY_LOGGER, IDEMPOTENCY, IDENTITY, type EventFeed, type EventHub, type IdempotencyStore } from '@platform/http-api';
import type { IdentityService } from '@platform/identity';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { BUS, EVENT_FEED, EVENT_HUB, PG_POOL, REDIS } from './tokens';

/** Start-up (migrations, event feed, cache notices) and an orderly stop of the gateway's connections. */
@Injectable()
export class GatewayRuntime implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(IDENTITY) private readonly identity: IdentityService,
    @Inject(IDEMPOTENCY) private readonly idempotency: IdempotencyStore,
    @Inject(EVENT_FEED) private readonly feed: EventFeed,
    @Inject(EVENT_HUB) private readonly hub: EventHub,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.identity.migrate();
    await this.idempotency.migrate();
    await this.feed.migrate();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.bus.connection.subscribe(this.bus.subjects.identityChanges(), {
      callback: (error, message) => {
        if (error) return;
        const userIds = message.json<string[]>();
        if (Array.isArray(userIds)) this.identity.cache.forgetUsers(userIds.filter((id) => typeof id === 'string'));
      },
    });
    await this.hub.start();
  }

  /** Event streams never end by themselves: end them before the HTTP server waits for its connections. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.hub.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.redis.quit().catch(() => undefined);
    await this.pool.end();
    this.logger.info('gateway stopped');
  }
}
