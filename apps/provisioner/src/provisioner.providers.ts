import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import {
  DigitalOceanApi,
  DigitalOceanCloudProvider,
  LocalCloudProvider,
  verifyCloudflareToken,
  type RetryPolicy,
} from '@platform/cloud';
import { serverEvents, snapshotEvents } from '@platform/contracts';
import type { EventStore } from '@platform/event-store';
import { PlatformCertificateAuthority, SecretBox } from '@platform/secrets';
import {
  ProviderCatalogue,
  ProviderCredentials,
  serverDecider,
  ServerProvisioningProcess,
  ServerQueries,
  serverStreamId,
  snapshotDecider,
  SnapshotBuildingProcess,
  SnapshotQueries,
  snapshotStreamId,
  WorkspaceProviderRegistry,
  type ServerCommand,
  type ServerEvent,
  type ServerState,
  type SnapshotCommand,
  type SnapshotEvent,
  type SnapshotState,
} from '@platform/servers';
import {
  DeciderCommandHandler,
  EVENT_STORE,
  PG_POOL,
  SERVICE_CONFIG,
  SERVICE_ENV,
  SERVICE_LOGGER,
  type ServiceConfig,
} from '@platform/service-kit';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { loadProvisionerConfig, type ProvisionerConfig } from './provisioner-config';

export const PROVISIONER_CONFIG = Symbol('ProvisionerConfig');
export const SERVER_COMMANDS = Symbol('ServerCommands');
export const SNAPSHOT_COMMANDS = Symbol('SnapshotCommands');
export const SERVER_QUERIES = Symbol('ServerQueries');
export const SNAPSHOT_QUERIES = Symbol('SnapshotQueries');
export const PROVIDER_CREDENTIALS = Symbol('ProviderCredentials');
export const PROVIDER_REGISTRY = Symbol('ProviderRegistry');
export const PROVIDER_CATALOGUE = Symbol('ProviderCatalogue');
export const SERVER_PROVISIONING_PROCESS = Symbol('ServerProvisioningProcess');
export const SNAPSHOT_BUILDING_PROCESS = Symbol('SnapshotBuildingProcess');
const SECRETS = Symbol('Secrets');
const PLATFORM_CA = Symbol('PlatformCertificateAuthority');
const LOCAL_CLOUD = Symbol('LocalCloudProvider');

/**
 * Runs the process managers on start-up and stops them before the connections close; brings back the agents of
 * this machine's local servers (one that died, or one from before agents spoke TLS).
 */
@Injectable()
export class ProvisioningLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(SERVER_PROVISIONING_PROCESS) private readonly provisioning: ServerProvisioningProcess,
    @Inject(SNAPSHOT_BUILDING_PROCESS) private readonly snapshots: SnapshotBuildingProcess,
    @Inject(LOCAL_CLOUD) private readonly local: LocalCloudProvider,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.provisioning.start();
    this.snapshots.start();
    this.local.resume().catch((error: unknown) => this.logger.warn({ err: error }, 'resuming local servers failed'));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.provisioning.stop(), this.snapshots.stop()]);
  }
}

/** Someone waits for a token to be verified: fail within the gateway's wait, not after DigitalOcean's full retry budget. */
const VERIFY_RETRY: Partial<RetryPolicy> = {
  maxAttempts: 2,
  requestTimeoutMs: 7000,
  maxRateLimitWaits: 1,
  maxRateLimitWaitMs: 5000,
};

function digitalOceanClient(
  config: ProvisionerConfig,
  logger: Logger,
  options: { retry?: Partial<RetryPolicy>; ca?: PlatformCertificateAuthority } = {},
) {
  const { retry, ca } = options;
  const tarball =
    config.AGENT_RELEASE_URL && config.AGENT_RELEASE_SHA256
      ? { url: config.AGENT_RELEASE_URL, sha256: config.AGENT_RELEASE_SHA256 }
      : undefined;
  return (token: string) =>
    new DigitalOceanCloudProvider(
      new DigitalOceanApi({
        token,
        baseUrl: config.DIGITALOCEAN_API_URL,
        retry,
        onEvent: (event) => logger.info({ digitalocean: event }, 'DigitalOcean API'),
      }),
      {
        defaults: { region: 'nyc3', size: 's-1vcpu-1gb' },
        agent: { port: config.DIGITALOCEAN_AGENT_PORT, platformAddress: config.PLATFORM_PUBLIC_ADDRESS, ca, tarball },
        timing: { pollIntervalMs: Math.min(5000, config.PROVISION_POLL_MS * 5) },
      },
    );
}

export const provisionerProviders: Provider[] = [
  {
    provide: PROVISIONER_CONFIG,
    inject: [SERVICE_ENV],
    useFactory: (env: NodeJS.ProcessEnv) => loadProvisionerConfig(env),
  },
  { provide: SECRETS, inject: [SERVICE_ENV], useFactory: (env: NodeJS.ProcessEnv) => SecretBox.fromEnv(env) },
  {
    provide: PLATFORM_CA,
    inject: [PROVISIONER_CONFIG, SECRETS],
    useFactory: (config: ProvisionerConfig, secrets: SecretBox) =>
      PlatformCertificateAuthority.openOrCreate(config.PLATFORM_CA_FILE, secrets),
  },
  {
    provide: SERVER_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>({
        store,
        decider: serverDecider,
        streamIdOf: (command) => serverStreamId(command.data.serverId),
        events: serverEvents,
      }),
  },
  {
    provide: SNAPSHOT_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler<SnapshotCommand, SnapshotEvent, SnapshotState>({
        store,
        decider: snapshotDecider,
        streamIdOf: (command) => snapshotStreamId(command.data.snapshotId),
        events: snapshotEvents,
      }),
  },
  {
    provide: SERVER_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new ServerQueries(pool, config.database.schema),
  },
  {
    provide: SNAPSHOT_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new SnapshotQueries(pool, config.database.schema),
  },
  {
    provide: PROVIDER_CREDENTIALS,
    inject: [PG_POOL, SERVICE_CONFIG, EVENT_STORE, SECRETS, PROVISIONER_CONFIG, SERVICE_LOGGER],
    useFactory: (
      pool: Pool,
      service: ServiceConfig,
      store: EventStore,
      secrets: SecretBox,
      config: ProvisionerConfig,
      logger: Logger,
    ) => {
      const digitalOcean = digitalOceanClient(config, logger, { retry: VERIFY_RETRY });
      return new ProviderCredentials({
        pool,
        schema: service.database.schema,
        store,
        secrets,
        verifiers: {
          digitalocean: async (token) => (await digitalOcean(token).verifyCredentials()).email,
          cloudflare: (token) => verifyCloudflareToken(token, { baseUrl: config.CLOUDFLARE_API_URL }),
        },
      });
    },
  },
  {
    provide: LOCAL_CLOUD,
    inject: [PROVISIONER_CONFIG, PLATFORM_CA],
    useFactory: (config: ProvisionerConfig, ca: PlatformCertificateAuthority) =>
      new LocalCloudProvider({
        ca,
        root: config.LOCAL_SERVERS_ROOT,
        agentPort: config.LOCAL_AGENT_PORT,
        edgeHttpPort: config.LOCAL_EDGE_HTTP_PORT,
        edgeHttpsPort: config.LOCAL_EDGE_HTTPS_PORT,
      }),
  },
  {
    provide: PROVIDER_REGISTRY,
    inject: [PROVIDER_CREDENTIALS, PROVISIONER_CONFIG, PLATFORM_CA, LOCAL_CLOUD, SERVICE_LOGGER],
    useFactory: (
      credentials: ProviderCredentials,
      config: ProvisionerConfig,
      ca: PlatformCertificateAuthority,
      local: LocalCloudProvider,
      logger: Logger,
    ) =>
      new WorkspaceProviderRegistry({
        local,
        credentials,
        digitalOcean: digitalOceanClient(config, logger, { ca }),
      }),
  },
  {
    provide: PROVIDER_CATALOGUE,
    inject: [PROVIDER_REGISTRY],
    useFactory: (providers: WorkspaceProviderRegistry) => new ProviderCatalogue(providers),
  },
  {
    provide: SERVER_PROVISIONING_PROCESS,
    inject: [
      EVENT_STORE,
      SERVER_COMMANDS,
      SERVER_QUERIES,
      SNAPSHOT_QUERIES,
      PROVIDER_REGISTRY,
      SECRETS,
      PLATFORM_CA,
      PROVISIONER_CONFIG,
      SERVICE_LOGGER,
    ],
    useFactory: (
      store: EventStore,
      commands: DeciderCommandHandler<ServerCommand, ServerEvent, ServerState>,
      queries: ServerQueries,
      snapshots: SnapshotQueries,
      providers: WorkspaceProviderRegistry,
      secrets: SecretBox,
      ca: PlatformCertificateAuthority,
      config: ProvisionerConfig,
      logger: Logger,
    ) =>
      new ServerProvisioningProcess({
        store,
        commands,
        queries,
        providers,
        snapshots,
        baseImage: config.DIGITALOCEAN_BASE_IMAGE,
        secrets,
        agentCa: ca.certificate,
        deadlineMs: config.PROVISION_DEADLINE_MS,
        pollMs: config.PROVISION_POLL_MS,
        logger: logger.child({ component: 'provisioning' }),
      }),
  },
  {
    provide: SNAPSHOT_BUILDING_PROCESS,
    inject: [
      EVENT_STORE,
      SNAPSHOT_COMMANDS,
      SNAPSHOT_QUERIES,
      PROVIDER_REGISTRY,
      SECRETS,
      PLATFORM_CA,
      PROVISIONER_CONFIG,
      SERVICE_LOGGER,
    ],
    useFactory: (
      store: EventStore,
      commands: DeciderCommandHandler<SnapshotCommand, SnapshotEvent, SnapshotState>,
      queries: SnapshotQueries,
      providers: WorkspaceProviderRegistry,
      secrets: SecretBox,
      ca: PlatformCertificateAuthority,
      config: ProvisionerConfig,
      logger: Logger,
    ) =>
      new SnapshotBuildingProcess({
        store,
        commands,
        queries,
        providers,
        secrets,
        agentCa: ca.certificate,
        baseImage: config.DIGITALOCEAN_BASE_IMAGE,
        deadlineMs: config.SNAPSHOT_DEADLINE_MS,
        pollMs: config.PROVISION_POLL_MS,
        logger: logger.child({ component: 'snapshots' }),
      }),
  },
  ProvisioningLifecycle,
];
