import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Bus } from '@platform/bus';
import {
  ApiExceptionFilter,
  ApiRouter,
  AuditResource,
  CommandGateway,
  CredentialRateLimit,
  DeployConfigsResource,
  DeploymentsResource,
  DomainsResource,
  EventFeed,
  EventHub,
  EventsResource,
  EventStreams,
  GATEWAY_LOGGER,
  IDEMPOTENCY,
  IdempotencyStore,
  IDENTITY,
  InfrastructureResource,
  MetricsResource,
  ProjectsResource,
  RATE_LIMITER,
  RateLimiter,
  ServersResource,
  ServicesResource,
  SessionsResource,
  UploadsResource,
  WebhooksResource,
  type GatewayConfig,
} from '@platform/http-api';
import { Identity } from '@platform/identity';
import { FailedBatches } from '@platform/request-metrics';
import { SecretBox } from '@platform/secrets';
import { UploadStore } from '@platform/build';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { ApiTokensController } from './controllers/api-tokens.controller';
import { AuditController } from './controllers/audit.controller';
import { AuthController } from './controllers/auth.controller';
import { DeployConfigsController } from './controllers/deploy-configs.controller';
import { DocsController } from './controllers/docs.controller';
import { DomainsController } from './controllers/domains.controller';
import { EventsController } from './controllers/events.controller';
import { HealthController } from './controllers/health.controller';
import { InfrastructureController } from './controllers/infrastructure.controller';
import { MetricsController } from './controllers/metrics.controller';
import { ServersController } from './controllers/servers.controller';
import { ProjectsController } from './controllers/projects.controller';
import { ServicesController } from './controllers/services.controller';
import { UploadsController } from './controllers/uploads.controller';
import { DeploymentsController } from './controllers/deployments.controller';
import { WebhooksController } from './controllers/webhooks.controller';
import { WorkspacesController } from './controllers/workspaces.controller';
import { GatewayRuntime } from './gateway-runtime';
import {
  API_ROUTER,
  BUS,
  COMMANDS,
  EVENT_FEED,
  EVENT_HUB,
  EVENT_STREAMS,
  GATEWAY_CONFIG,
  PG_POOL,
  REDIS,
  SECRETS,
  UPLOADS,
} from './tokens';

/** The public API's routes, registered on Fastify by the ApiRouter (see `startGateway`). */
export const API_CONTROLLERS = [
  AuthController,
  WorkspacesController,
  ApiTokensController,
  DeployConfigsController,
  EventsController,
  ServersController,
  InfrastructureController,
  ProjectsController,
  ServicesController,
  UploadsController,
  DeploymentsController,
  MetricsController,
  DomainsController,
  AuditController,
  WebhooksController,
];

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      // Outside the public API, and outside its conventions: served by Nest's router.
      controllers: [DocsController, HealthController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: logger },
        {
          provide: PG_POOL,
          useFactory: () => {
            const pool = new Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
            pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
            return pool;
          },
        },
        {
          provide: REDIS,
          useFactory: async () => {
            const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
            redis.on('error', (error) => logger.warn({ err: error }, 'redis connection failed'));
            await redis.connect();
            return redis;
          },
        },
        {
          provide: BUS,
          useFactory: async () => {
            const bus = await Bus.connect({
              servers: config.NATS_URL,
              prefix: config.NATS_PREFIX,
              name: `gateway-${config.REPLICA_ID}`,
              logger: logger.child({ component: 'bus' }),
            });
            await bus.ensureStreams();
            return bus;
          },
        },
        {
          provide: IDENTITY,
          inject: [PG_POOL, BUS],
          useFactory: (pool: Pool, bus: Bus) =>
            new Identity(pool, config.IDENTITY_SCHEMA, {
              sessionTtlDays: config.SESSION_TTL_DAYS,
              instance: {
                signup: config.SIGNUP,
                localServersWorkspaces: config.LOCAL_SERVERS_WORKSPACES,
                maxWorkspacesPerUser: config.MAX_WORKSPACES_PER_USER,
              },
              onUsersChanged: (userIds) =>
                bus.connection.publish(bus.subjects.identityChanges(), JSON.stringify(userIds)),
            }),
        },
        {
          provide: RATE_LIMITER,
          inject: [REDIS],
          useFactory: (redis: Redis) => new RateLimiter(redis, config.REDIS_PREFIX),
        },
        {
          provide: IDEMPOTENCY,
          inject: [PG_POOL, SECRETS],
          useFactory: (pool: Pool, secrets: SecretBox) => new IdempotencyStore(pool, config.GATEWAY_SCHEMA, secrets),
        },
        {
          provide: EVENT_FEED,
          inject: [PG_POOL, IDENTITY],
          useFactory: (pool: Pool, identity: Identity) => new EventFeed(pool, config.GATEWAY_SCHEMA, identity.audit),
        },
        {
          provide: EVENT_HUB,
          inject: [BUS, EVENT_FEED],
          useFactory: (bus: Bus, feed: EventFeed) => new EventHub(bus, feed, logger.child({ component: 'events' })),
        },
        {
          provide: EVENT_STREAMS,
          inject: [EVENT_HUB, EVENT_FEED],
          useFactory: (hub: EventHub, feed: EventFeed) =>
            new EventStreams(
              hub,
              feed,
              {
                heartbeatMs: config.SSE_HEARTBEAT_MS,
                maxBufferedBytes: config.SSE_CLIENT_BUFFER_BYTES,
                maxStreamsPerWorkspace: config.SSE_MAX_STREAMS_PER_WORKSPACE,
              },
              logger,
            ),
        },
        {
          provide: COMMANDS,
          inject: [BUS],
          useFactory: (bus: Bus) => new CommandGateway(bus, bus.followAppliedCommands(), config.COMMAND_APPLY_WAIT_MS),
        },
        { provide: SECRETS, useFactory: () => SecretBox.fromEnv({ PLATFORM_SECRET_KEY: config.PLATFORM_SECRET_KEY }) },
        {
          provide: UPLOADS,
          useFactory: () =>
            new UploadStore({
              root: config.UPLOADS_DIR,
              maxBytes: config.UPLOAD_MAX_BYTES,
              quotaBytesPerWorkspace: config.UPLOAD_QUOTA_BYTES_PER_WORKSPACE,
            }),
        },
        {
          provide: SessionsResource,
          inject: [IDENTITY, RATE_LIMITER],
          useFactory: (identity: Identity, rateLimiter: RateLimiter) => new SessionsResource(identity, rateLimiter),
        },
        {
          provide: EventsResource,
          inject: [EVENT_STREAMS, EVENT_FEED],
          useFactory: (streams: EventStreams, feed: EventFeed) => new EventsResource(streams, feed),
        },
        {
          provide: DeployConfigsResource,
          inject: [COMMANDS],
          useFactory: (commands: CommandGateway) => new DeployConfigsResource(commands),
        },
        {
          provide: ServersResource,
          inject: [COMMANDS, IDENTITY],
          useFactory: (commands: CommandGateway, identity: Identity) =>
            new ServersResource(commands, identity.instance),
        },
        {
          provide: InfrastructureResource,
          inject: [COMMANDS, SECRETS],
          useFactory: (commands: CommandGateway, secrets: SecretBox) => new InfrastructureResource(commands, secrets),
        },
        {
          provide: ProjectsResource,
          inject: [COMMANDS],
          useFactory: (commands: CommandGateway) => new ProjectsResource(commands),
        },
        {
          provide: ServicesResource,
          inject: [COMMANDS, SECRETS],
          useFactory: (commands: CommandGateway, secrets: SecretBox) => new ServicesResource(commands, secrets),
        },
        {
          provide: UploadsResource,
          inject: [UPLOADS, IDENTITY],
          useFactory: (uploads: UploadStore, identity: Identity) => new UploadsResource(uploads, identity.audit),
        },
        {
          provide: DeploymentsResource,
          inject: [COMMANDS, SECRETS, EVENT_STREAMS, IDENTITY],
          useFactory: (commands: CommandGateway, secrets: SecretBox, streams: EventStreams, identity: Identity) =>
            new DeploymentsResource(commands, secrets, streams, identity.instance),
        },
        {
          provide: FailedBatches,
          useFactory: () => new FailedBatches({ redisUrl: config.REDIS_URL, prefix: config.METRICS_QUEUE_PREFIX }),
        },
        {
          provide: AuditResource,
          inject: [IDENTITY],
          useFactory: (identity: Identity) => new AuditResource(identity),
        },
        {
          provide: MetricsResource,
          inject: [COMMANDS, IDENTITY, FailedBatches],
          useFactory: (commands: CommandGateway, identity: Identity, failedBatches: FailedBatches) =>
            new MetricsResource(commands, identity.instance, failedBatches, identity.audit),
        },
        {
          provide: DomainsResource,
          inject: [COMMANDS],
          useFactory: (commands: CommandGateway) => new DomainsResource(commands),
        },
        {
          provide: WebhooksResource,
          inject: [COMMANDS, SECRETS, IDENTITY],
          useFactory: (commands: CommandGateway, secrets: SecretBox, identity: Identity) =>
            new WebhooksResource(commands, secrets, config.WEBHOOKS_ALLOW_LOOPBACK_HTTP, identity.audit),
        },
        {
          provide: API_ROUTER,
          inject: [IDENTITY, RATE_LIMITER, IDEMPOTENCY],
          useFactory: (identity: Identity, rateLimiter: RateLimiter, idempotency: IdempotencyStore) =>
            new ApiRouter({
              identity,
              rateLimiter,
              idempotency,
              authRateLimitPerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
              credentialRateLimit: new CredentialRateLimit(rateLimiter, config.API_RATE_LIMIT_PER_MINUTE),
              logger,
            }),
        },
        ...API_CONTROLLERS,
        GatewayRuntime,
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
