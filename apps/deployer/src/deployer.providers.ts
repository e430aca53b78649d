import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { deployConfigEvents, deploymentEvents, projectEvents, serviceEvents } from '@platform/contracts';
import {
  deployConfigDecider,
  DeployConfigQueries,
  deployConfigStreamId,
  DeploymentProcess,
  DeploymentQueries,
  FrontRoutes,
  ServiceNames,
  LocalFrontProxy,
  projectDecider,
  ProjectQueries,
  projectStreamId,
  serviceDecider,
  ServiceQueries,
  serviceStreamId,
  type DeployConfigCommand,
  type ServiceCommand,
  type ServiceEvent,
  type ServiceState,
  type SourceArchives,
} from '@platform/deployments';
import type { EventStore } from '@platform/event-store';
import { SelfHostedRegistry } from '@platform/registry';
import { PlatformCertificateAuthority, SecretBox } from '@platform/secrets';
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
import { loadDeployerConfig } from './deployer-config';
import { BuildSourceArchives } from './source-archives';

export const DEPLOY_CONFIG_COMMANDS = Symbol('DeployConfigCommands');
export const DEPLOY_CONFIG_QUERIES = Symbol('DeployConfigQueries');
export const PROJECT_COMMANDS = Symbol('ProjectCommands');
export const SERVICE_COMMANDS = Symbol('ServiceCommands');
export const PROJECT_QUERIES = Symbol('ProjectQueries');
export const SERVICE_QUERIES = Symbol('ServiceQueries');
export const SERVICE_NAMES = Symbol('ServiceNames');
export const DEPLOYMENT_QUERIES = Symbol('DeploymentQueries');
export const DEPLOYMENT_PROCESS = Symbol('DeploymentProcess');
export const FRONT_ROUTES = Symbol('FrontRoutes');

/**
 * Runs the deployment process (and the front door's routes, when this machine has one) on start-up and stops them
 * before the connections close. The front door's nginx stays up, so apps keep opening while the deployer restarts.
 */
@Injectable()
export class DeploymentLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DEPLOYMENT_PROCESS) private readonly process: DeploymentProcess,
    @Inject(FRONT_ROUTES) private readonly frontRoutes: FrontRoutes | null,
  ) {}

  onApplicationBootstrap(): void {
    this.frontRoutes?.start();
    this.process.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.process.stop();
    await this.frontRoutes?.stop();
  }
}

export const deployerProviders: Provider[] = [
  {
    provide: DEPLOY_CONFIG_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler({
        store,
        decider: deployConfigDecider,
        streamIdOf: (command: DeployConfigCommand) => deployConfigStreamId(command.data.deployConfigId),
        events: deployConfigEvents,
      }),
  },
  {
    provide: DEPLOY_CONFIG_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new DeployConfigQueries(pool, config.database.schema),
  },
  {
    provide: PROJECT_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler({
        store,
        decider: projectDecider,
        streamIdOf: (command) => projectStreamId(command.data.projectId),
        events: projectEvents,
      }),
  },
  {
    provide: SERVICE_COMMANDS,
    inject: [EVENT_STORE],
    useFactory: (store: EventStore) =>
      new DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>({
        store,
        decider: serviceDecider,
        // The deployment process names the stream of its reports itself.
        streamIdOf: (command) => serviceStreamId((command.data as { serviceId: string }).serviceId),
        // A service's stream holds its deployments too.
        events: [...serviceEvents, ...deploymentEvents],
      }),
  },
  {
    provide: PROJECT_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new ProjectQueries(pool, config.database.schema),
  },
  {
    provide: SERVICE_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG, SERVICE_ENV],
    useFactory: (pool: Pool, config: ServiceConfig, env: NodeJS.ProcessEnv) =>
      new ServiceQueries(pool, config.database.schema, loadDeployerConfig(env).LOCAL_FRONT_DOOR_PORT),
  },
  {
    provide: SERVICE_NAMES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new ServiceNames(pool, config.database.schema),
  },
  {
    provide: DEPLOYMENT_QUERIES,
    inject: [PG_POOL, SERVICE_CONFIG],
    useFactory: (pool: Pool, config: ServiceConfig) => new DeploymentQueries(pool, config.database.schema),
  },
  {
    provide: FRONT_ROUTES,
    inject: [PG_POOL, SERVICE_CONFIG, SERVICE_LOGGER, SERVICE_ENV],
    useFactory: (pool: Pool, config: ServiceConfig, logger: Logger, env: NodeJS.ProcessEnv) => {
      const { LOCAL_FRONT_DOOR_DIR, LOCAL_FRONT_DOOR_PORT } = loadDeployerConfig(env);
      if (!LOCAL_FRONT_DOOR_DIR) return null;
      return new FrontRoutes({
        pool,
        schema: config.database.schema,
        door: new LocalFrontProxy(LOCAL_FRONT_DOOR_DIR, { address: '127.0.0.1', port: LOCAL_FRONT_DOOR_PORT }),
        logger: logger.child({ component: 'front-routes' }),
      });
    },
  },
  {
    provide: DEPLOYMENT_PROCESS,
    inject: [EVENT_STORE, SERVICE_COMMANDS, DEPLOYMENT_QUERIES, FRONT_ROUTES, SERVICE_LOGGER, SERVICE_ENV],
    useFactory: async (
      store: EventStore,
      commands: DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>,
      queries: DeploymentQueries,
      frontRoutes: FrontRoutes | null,
      logger: Logger,
      env: NodeJS.ProcessEnv,
    ) => {
      const config = loadDeployerConfig(env);
      const sources: SourceArchives = new BuildSourceArchives(config.UPLOADS_DIR);
      const secrets = SecretBox.fromEnv(env);
      const ca = await PlatformCertificateAuthority.openOrCreate(config.PLATFORM_CA_FILE, secrets);
      const registry = config.REGISTRY_DIR
        ? await SelfHostedRegistry.open({
            dir: config.REGISTRY_DIR,
            address: config.REGISTRY_ADDRESS,
            port: config.REGISTRY_PORT,
            bin: config.REGISTRY_BIN,
            ca,
            secrets,
          })
        : undefined;
      if (registry) {
        // Blobs of the images retention deleted go while no deployment runs: collected offline, before starting.
        await registry
          .collectGarbage()
          .catch((error: unknown) => logger.warn({ err: error }, 'collecting the registry garbage failed'));
        // Started here, before deployments run; it keeps running across the deployer's restarts.
        await registry.start();
      }
      return new DeploymentProcess({
        store,
        commands,
        queries,
        secrets,
        agentCa: ca.certificate,
        sources,
        keepImages: config.DEPLOY_KEEP_IMAGES,
        buildLogKeepBytes: config.BUILD_LOG_KEEP_BYTES,
        deadlineMs: config.DEPLOY_DEADLINE_MS,
        healthTimeoutMs: config.DEPLOY_HEALTH_TIMEOUT_MS,
        pollMs: config.DEPLOY_POLL_MS,
        frontDoor: frontRoutes ?? undefined,
        reachableWithinMs: config.DEPLOY_REACHABLE_WITHIN_MS,
        registry,
        registryKeepImages: config.REGISTRY_KEEP_IMAGES,
        logger: logger.child({ component: 'deployments' }),
      });
    },
  },
  DeploymentLifecycle,
];
