import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentClient } from '@platform/agent-client';
import {
  agentSecretContext,
  DomainError,
  envSecretContext,
  type DeploymentTarget,
  type MessageMetadata,
} from '@platform/contracts';
import { SweptProcess, type EventStore, type LogSink } from '@platform/event-store';
import type { SecretBox } from '@platform/secrets';
import { nameBasedUuid, type DeciderCommandHandler } from '@platform/service-kit';
import { publicAddressOf } from '@platform/outbound';
import { byDigest, registryHostOf, type ImageRegistry, type RegistryImage } from '@platform/registry';
import { serviceHostname } from '../services/hostname';
import { servicesProjection } from '../services/projection';
import {
  serviceStreamId,
  type Deployment,
  type DeploymentProgressCommand,
  type KnownService,
  type ServiceCommand,
  type ServiceEvent,
  type ServiceState,
} from '../services/decider';
import { BuildLog } from './build-log';
import type { ServiceFrontDoor } from './front-routes';
import { imagePlan, type ImageStep } from './image-plan';
import { registryImagesToDelete } from './registry-retention';
import type { DeploymentQueries } from './queries';
import type { SourceArchives } from './source-archives';
import { probeOverHttp, type ProbeWayIn, type WayIn } from './ways-in';

/** The calls the process makes on a server's agent (an `AgentClient`, or a fake in tests). */
export type DeploymentAgent = Pick<
  AgentClient,
  'tagImage' | 'pullImage' | 'pushImage' | 'buildImage' | 'listContainers' | 'cutover' | 'stopContainer' | 'pruneImages'
>;

/** How long credentials handed to a server for one push or one pull stay valid. */
const PUSH_CREDENTIALS_TTL_SECONDS = 900;
const PULL_CREDENTIALS_TTL_SECONDS = 300;

export interface DeploymentProcessOptions {
  readonly store: EventStore;
  readonly commands: DeciderCommandHandler<ServiceCommand, ServiceEvent, ServiceState>;
  readonly queries: Pick<DeploymentQueries, 'inProgress'>;
  readonly secrets: SecretBox;
  /** The platform CA's certificate (PEM): the only issuer agent clients trust. */
  readonly agentCa: string;
  readonly sources: SourceArchives;
  /** Deployment tags kept per service on each server, so rollback to recent versions always works. */
  readonly keepImages: number;
  /** A build log keeps its first and its last this many bytes of output; the default 256 KiB. */
  readonly buildLogKeepBytes?: number;
  /** A deployment not ended this long after it was requested is failed (and rolled back). */
  readonly deadlineMs: number;
  readonly healthTimeoutMs?: number;
  readonly pollMs?: number;
  readonly logger: LogSink;
  /** Reaches a server's agent; an `AgentClient` by default. */
  readonly connectAgent?: (connection: { baseUrl: string; secret: string }) => DeploymentAgent;
  /** The clock deadlines and durations are read on. */
  readonly now?: () => Date;
  /** This machine's front door, when the platform runs one: a deployment is routed through it before it succeeds. */
  readonly frontDoor?: ServiceFrontDoor;
  /** How long a service switched on every server may take to answer through each way in before its deployment fails. */
  readonly reachableWithinMs?: number;
  /** Asks a way in for a path; over HTTP by default. */
  readonly probe?: ProbeWayIn;
  /**
   * The registry images travel through: built (or pulled from upstream) once, pushed, and pulled by digest on
   * every server, also by a rollback onto a server that never ran that version. Without one, servers sharing this
   * machine's Docker engine tag the image the first server made.
   */
  readonly registry?: ImageRegistry;
  /** Deployment images kept per service in the registry (never one a current or running deployment needs). */
  readonly registryKeepImages?: number;
  /** Lets an image source name a registry on this machine (tests only). */
  readonly allowLoopbackRegistries?: boolean;
}

/** The key grouping a service's images and containers on an agent. */
export function serviceKey(serviceId: string): string {
  return `s${serviceId.replace(/-/g, '').slice(0, 16)}`;
}

/** A step acts for the deployer, under the original request's workspace and correlation id, on its service. */
type StepMetadata = MessageMetadata & { readonly serviceId: string };

const short = (id: string) => id.replace(/-/g, '').slice(0, 8);
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The process manager of deployments, whose state is the service's event stream: it gets the image onto every
 * target server (built once, then shipped), cuts each batch of servers over with zero downtime through their
 * agents, and on a failure puts the servers already switched back on the previous version. Each step is an
 * event; the replica holding the lease carries every unfinished deployment on from its last recorded step.
 */
export class DeploymentProcess extends SweptProcess<{ deploymentId: string; serviceId: string }> {
  constructor(private readonly options: DeploymentProcessOptions) {
    super({
      name: 'deployments',
      store: options.store,
      pending: () => options.queries.inProgress(),
      keyOf: (item) => item.deploymentId,
      projections: [servicesProjection.name],
      pollMs: options.pollMs,
      logger: options.logger,
    });
  }

  /** Takes a deployment step by step until it ends or a step has to wait. */
  async advance({ serviceId, deploymentId }: { deploymentId: string; serviceId: string }): Promise<void> {
    for (;;) {
      const { service, deployment, metadata } = await this.load(serviceId, deploymentId);
      if (!service || !deployment || !metadata) return;
      if (deployment.status === 'succeeded' || deployment.status === 'failed') return;
      const progressed =
        deployment.status === 'rolling_back'
          ? await this.rollBack(service, deployment, metadata)
          : await this.rollOut(service, deployment, metadata);
      if (!progressed) return;
    }
  }

  private async rollOut(service: KnownService, deployment: Deployment, metadata: StepMetadata): Promise<boolean> {
    const { deploymentId } = deployment;
    if (this.elapsedMs(deployment) > this.options.deadlineMs) {
      const stuck =
        deployment.targets.find((t) => deployment.servers[t.serverId]?.status !== 'switched') ?? deployment.targets[0];
      await this.record(metadata, randomUUID(), {
        type: 'RecordServerDeployFailed',
        data: {
          deploymentId,
          serverId: stuck.serverId,
          reason: `the deployment did not finish within ${this.options.deadlineMs / 1000} s`,
        },
      });
      return true;
    }
    const waiting = deployment.targets.filter((t) => deployment.servers[t.serverId]?.status === 'pending');
    if (waiting.length > 0) {
      // A build happens once, on one server; an image that exists already is tagged on every server at once.
      // Through a registry, the first server makes the image (built, or pulled from upstream) and pushes it; then
      // every other server pulls its digest at once.
      const oneAtATime = this.registryFor(service, deployment)
        ? !this.registryImageOf(service, deployment)
        : !Object.values(deployment.servers).some((server) => server.image) &&
          deployment.source.type !== 'image' &&
          !deployment.rollbackOf;
      await Promise.all(
        (oneAtATime ? waiting.slice(0, 1) : waiting).map((target) =>
          this.prepareImage(service, deployment, target, metadata),
        ),
      );
      return true;
    }
    const ready = deployment.targets.filter((t) => deployment.servers[t.serverId]?.status === 'image_ready');
    if (ready.length > 0) {
      await Promise.all(
        ready.slice(0, deployment.batchSize).map((target) => this.cutOver(service, deployment, target, metadata)),
      );
      return true;
    }
    const unreachable = await this.reach(service, deployment);
    if (unreachable) {
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${unreachable.serverId}:failed`), {
        type: 'RecordServerDeployFailed',
        data: { deploymentId, serverId: unreachable.serverId, reason: unreachable.reason },
      });
      return true;
    }
    await this.record(metadata, nameBasedUuid(`${deploymentId}:succeeded`), {
      type: 'RecordDeploymentSucceeded',
      data: { deploymentId, durationMs: this.elapsedMs(deployment) },
    });
    // Clean-up after the fact: the new version serves already, and a failed prune is retried next time.
    await Promise.all(deployment.targets.map((target) => this.prune(service, deployment, target)));
    await this.pruneRegistry(deployment);
    return false;
  }

  /**
   * Success is what a user sees: once every server switched, the front door routes the service to them, and each
   * way in is asked for the service's health check path until it answers, within `reachableWithinMs`. Undefined
   * when every way answered; else the first that did not, as the failure of the server it leads to.
   */
  private async reach(
    service: KnownService,
    deployment: Deployment,
  ): Promise<{ serverId: string; reason: string } | undefined> {
    const hostname = serviceHostname(service.name);
    const serving = deployment.targets.filter((t) => deployment.servers[t.serverId]?.status === 'switched');
    const waysIn: { wayIn: WayIn; serverId: string }[] = serving.map((target) => ({
      serverId: target.serverId,
      wayIn: {
        url: `http://${hostname} on the edge of server ${target.serverId}`,
        address: target.publicIp,
        port: target.edgeHttpPort,
        host: hostname,
      },
    }));
    try {
      const door = await this.options.frontDoor?.open({
        deploymentId: deployment.deploymentId,
        workspaceId: deployment.workspaceId,
        serviceName: service.name,
        hostname,
        edges: serving.map((target) => `${target.publicIp}:${target.edgeHttpPort}`),
      });
      // The door spreads the service over its servers: a failure there is put on the first of them.
      if (door) waysIn.unshift({ wayIn: door, serverId: serving[0].serverId });
    } catch (error) {
      return {
        serverId: serving[0].serverId,
        reason: `the front door could not route ${hostname}: ${describe(error)}`,
      };
    }
    const probe = this.options.probe ?? probeOverHttp;
    const withinMs = this.options.reachableWithinMs ?? 30_000;
    const deadline = performance.now() + withinMs;
    const why = new Map<WayIn, string>();
    let waiting = waysIn;
    for (;;) {
      const answers = await Promise.all(waiting.map(({ wayIn }) => probe(wayIn, deployment.healthCheckPath)));
      answers.forEach((answer, index) => answer && why.set(waiting[index].wayIn, answer));
      waiting = waiting.filter((_, index) => answers[index] !== null);
      if (waiting.length === 0) return undefined;
      if (performance.now() >= deadline) break;
      await sleep(Math.min(200, withinMs / 10));
    }
    const [{ wayIn, serverId }] = waiting;
    return {
      serverId,
      reason: `the app is not reachable at ${wayIn.url} within ${withinMs / 1000} s: ${why.get(wayIn)}`,
    };
  }

  /**
   * The deployment's image on one server: built or pulled on the first, shipped to the others. Servers that share
   * a Docker engine (this machine's) just tag it; a server with an engine of its own (a droplet) does not have
   * it, and gets it the way the first one did.
   */
  private async prepareImage(
    service: KnownService,
    deployment: Deployment,
    target: DeploymentTarget,
    metadata: StepMetadata,
  ): Promise<void> {
    const { deploymentId, serviceId } = deployment;
    const agent = this.agentOf(deployment.workspaceId, target);
    const [repository, tag] = [`srv-${short(target.serverId)}/${serviceKey(serviceId)}`, deployment.tag];
    const image = `${repository}:${tag}`;
    const owner = { service: serviceKey(serviceId), workspace: deployment.workspaceId };
    const log = (step: string, lines: string[]) =>
      this.record(metadata, randomUUID(), {
        type: 'RecordLog',
        data: { deploymentId, serverId: target.serverId, step, lines },
      });
    const registry = this.registryFor(service, deployment);
    if (registry) {
      return this.prepareThroughRegistry(registry, service, deployment, target, metadata, {
        agent,
        repository,
        tag,
        log,
      });
    }
    const agentStarted = performance.now();
    try {
      let how: 'built' | 'pulled' | 'shipped' | undefined;
      let port: number | undefined;
      for (const step of imagePlan(service, deployment, target.serverId)) {
        if (step.kind === 'tag') {
          const present = await agent.tagImage({ source: step.source, ...owner, repository, tag }).then(
            () => true,
            // An image that is there but not this service's is no reason to pull one of that name: say so.
            (error: unknown) => {
              if (error instanceof DomainError && error.code === 'forbidden') throw error;
              return false;
            },
          );
          if (present) how = step.how;
        } else if (step.kind === 'pull') {
          await agent.pullImage({ image: step.image });
          await agent.tagImage({ source: step.image, ...owner, repository, tag });
          how = 'pulled';
        } else if (step.kind === 'build') {
          port = await this.build(agent, deployment, step.source, { repository, tag }, log);
          how = 'built';
        } else {
          throw new Error(step.reason);
        }
        if (how) break;
      }
      if (!how) throw new Error('no way to get the image onto this server');
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:image`), {
        type: 'RecordImageReady',
        data: {
          deploymentId,
          serverId: target.serverId,
          image,
          how,
          agentMs: performance.now() - agentStarted,
          ...(port === undefined || port === deployment.port ? {} : { port }),
        },
      });
    } catch (error) {
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:failed`), {
        type: 'RecordServerDeployFailed',
        data: {
          deploymentId,
          serverId: target.serverId,
          reason: `the image could not be prepared: ${describe(error)}`,
        },
      });
    }
  }

  /**
   * The registry the deployment's servers can reach: one on this machine's loopback serves this machine's servers
   * only (a droplet gets its image as before until it has a registry it reaches).
   */
  private registryFor(service: KnownService, deployment: Deployment): ImageRegistry | undefined {
    const registry = this.options.registry;
    if (!registry) return undefined;
    // A rollback to a version deployed before images went through the registry runs the image servers kept.
    if (deployment.rollbackOf && !this.registryImageOf(service, deployment)) return undefined;
    const onThisMachine = (address: string) => address.startsWith('127.') || address === 'localhost';
    const registryHere = onThisMachine(registry.host.replace(/:\d+$/, ''));
    return !registryHere || deployment.targets.every((target) => onThisMachine(target.publicIp)) ? registry : undefined;
  }

  /** The image of the deployment (or of the one it rolls back to) in the registry, once it is there. */
  private registryImageOf(service: KnownService, deployment: Deployment): RegistryImage | undefined {
    if (deployment.registryImage) return deployment.registryImage;
    return deployment.rollbackOf ? service.deployments[deployment.rollbackOf]?.registryImage : undefined;
  }

  /**
   * The deployment's image on one server, through the workspace's registry: the first server builds it (or pulls
   * an image source from upstream, once) and pushes it; then this server, like every other, pulls it by digest
   * with credentials for that one pull, and gives it the server's own tag. A rollback pulls the digest recorded by
   * the deployment it rolls back to, so it works on a server that never ran that version.
   */
  private async prepareThroughRegistry(
    registry: ImageRegistry,
    service: KnownService,
    deployment: Deployment,
    target: DeploymentTarget,
    metadata: StepMetadata,
    local: {
      agent: DeploymentAgent;
      repository: string;
      tag: string;
      log: (step: string, lines: string[]) => Promise<unknown>;
    },
  ): Promise<void> {
    const { deploymentId, serviceId, workspaceId } = deployment;
    const { agent, repository, tag, log } = local;
    const owner = { service: serviceKey(serviceId), workspace: workspaceId };
    const agentStarted = performance.now();
    try {
      let how: 'built' | 'pulled' = 'pulled';
      let port: number | undefined;
      let image = this.registryImageOf(service, deployment);
      if (!image) {
        if (deployment.source.type === 'image') {
          image = await this.ownRegistryImage(registry, deployment, deployment.source.image);
          if (!image) {
            const source = deployment.source.image;
            await this.checkUpstream(registry, source);
            // An image this server's engine holds already is taken as it is; otherwise pulled from upstream, once.
            const present = await agent.tagImage({ source, ...owner, repository, tag }).then(
              () => true,
              (error: unknown) => {
                if (error instanceof DomainError && error.code === 'forbidden') throw error;
                return false;
              },
            );
            if (!present) {
              await agent.pullImage({ image: source });
              await agent.tagImage({ source, ...owner, repository, tag });
            }
          }
        } else {
          port = await this.build(agent, deployment, deployment.source, { repository, tag }, log);
          how = 'built';
        }
        if (!image) {
          const pushTo = registry.repositoryOf(workspaceId, serviceKey(serviceId));
          const pushed = await this.withRegistry(registry, 'push the image to', async () =>
            agent.pushImage({
              source: `${repository}:${tag}`,
              repository: pushTo,
              tag,
              auth: await registry.credentials(workspaceId, pushTo, ['pull', 'push'], PUSH_CREDENTIALS_TTL_SECONDS),
            }),
          );
          image = { repository: pushTo, digest: pushed.digest };
          await log('push', [`pushed ${pushed.image} as ${byDigest(image)}`]);
        }
      }
      const reference = byDigest(image);
      const pulled = image;
      await this.withRegistry(registry, 'pull the image from', async () =>
        agent.pullImage({
          image: reference,
          auth: await registry.credentials(workspaceId, pulled.repository, ['pull'], PULL_CREDENTIALS_TTL_SECONDS),
        }),
      );
      await agent.tagImage({ source: reference, ...owner, repository, tag });
      await log('pull', [`pulled ${reference}`]);
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:image`), {
        type: 'RecordImageReady',
        data: {
          deploymentId,
          serverId: target.serverId,
          image: `${repository}:${tag}`,
          how,
          agentMs: performance.now() - agentStarted,
          registryImage: image,
          ...(port === undefined || port === deployment.port ? {} : { port }),
        },
      });
    } catch (error) {
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:failed`), {
        type: 'RecordServerDeployFailed',
        data: {
          deploymentId,
          serverId: target.serverId,
          reason: `the image could not be prepared: ${describe(error)}`,
        },
      });
    }
  }

  /**
   * An image source in the workspace's own registry is resolved to its digest there (no pull and push again); one
   * naming another workspace's repository of it is refused.
   */
  private async ownRegistryImage(
    registry: ImageRegistry,
    deployment: Deployment,
    source: string,
  ): Promise<RegistryImage | undefined> {
    if (registryHostOf(source) !== registry.host) return undefined;
    const [, named, pinned] = /^(.+?)(?:@(sha256:[a-f0-9]{64}))?$/.exec(source) ?? [];
    const tag = pinned ? undefined : /:([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(named)?.[1];
    const repository = tag ? named.slice(0, -tag.length - 1) : named;
    // Refused unless the repository is in the workspace's namespace: credentials are minted for that only.
    await registry.credentials(deployment.workspaceId, repository, ['pull'], PULL_CREDENTIALS_TTL_SECONDS);
    // A tag is resolved to its digest now, so a tag moved later cannot change what a rollback runs.
    const digest = pinned ?? (await registry.digestOf?.(deployment.workspaceId, repository, tag ?? 'latest'));
    if (!digest) throw new Error(`the registry ${registry.host} has no image ${source}`);
    return { repository, digest };
  }

  /** An image source's registry must be a public address: nothing a tenant names may make a server reach inside. */
  private async checkUpstream(registry: ImageRegistry, source: string): Promise<void> {
    const host = registryHostOf(source);
    if (!host || host === registry.host) return;
    const hostname = host.replace(/:\d+$/, '');
    await publicAddressOf(hostname, { allowLoopback: this.options.allowLoopbackRegistries }).catch((error: unknown) => {
      throw new Error(`the image ${source} names the registry ${host}, which is refused: ${describe(error)}`);
    });
  }

  /** A registry that cannot be reached fails the step naming it, so the person knows where to look. */
  private async withRegistry<T>(registry: ImageRegistry, what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw new Error(`could not ${what} the registry ${registry.host}: ${describe(error)}`);
    }
  }

  private async build(
    agent: DeploymentAgent,
    deployment: Deployment,
    source: Extract<ImageStep, { kind: 'build' }>['source'],
    image: { repository: string; tag: string },
    log: (step: string, lines: string[]) => Promise<unknown>,
  ): Promise<number | undefined> {
    const archive = await this.options.sources.archiveOf(deployment.workspaceId, source, { port: deployment.port });
    try {
      const notes = [...(archive.notes ?? [])];
      if (archive.port !== undefined && archive.port !== deployment.port) {
        notes.push(
          `platform.json says the app listens on port ${archive.port}: it runs with PORT=${archive.port} and is ` +
            `routed there, instead of the service's port ${deployment.port}`,
        );
      }
      if (notes.length > 0) await log('detect', notes);
      const buildLog = new BuildLog((lines) => log('build', lines), this.options.buildLogKeepBytes);
      const dockerfile = archive.dockerfile ? { dockerfile: archive.dockerfile } : {};
      try {
        await agent.buildImage(
          { ...image, service: serviceKey(deployment.serviceId), workspace: deployment.workspaceId, ...dockerfile },
          archive,
          (line) => {
            if (line.type === 'log') buildLog.add(line.message);
          },
        );
      } finally {
        await buildLog.close();
      }
      return archive.port;
    } finally {
      await archive.dispose();
    }
  }

  private async cutOver(
    service: KnownService,
    deployment: Deployment,
    target: DeploymentTarget,
    metadata: StepMetadata,
  ): Promise<void> {
    const { deploymentId } = deployment;
    const image = deployment.servers[target.serverId]?.image as string;
    const container = `${serviceKey(deployment.serviceId)}-${short(target.serverId)}-${short(deploymentId)}`;
    const lines: string[] = [];
    try {
      const agentStarted = performance.now();
      const result = await this.switchTo(service, deployment, target, image, container, (line) => lines.push(line));
      const agentMs = performance.now() - agentStarted;
      await this.record(metadata, randomUUID(), {
        type: 'RecordLog',
        data: { deploymentId, serverId: target.serverId, step: 'cutover', lines },
      });
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:switched`), {
        type: 'RecordServerSwitched',
        data: {
          deploymentId,
          serverId: target.serverId,
          container,
          image,
          switchedAfterMs: result.switchedAfterMs,
          agentMs,
        },
      });
    } catch (error) {
      if (lines.length) {
        await this.record(metadata, randomUUID(), {
          type: 'RecordLog',
          data: { deploymentId, serverId: target.serverId, step: 'cutover', lines },
        });
      }
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:failed`), {
        type: 'RecordServerDeployFailed',
        data: { deploymentId, serverId: target.serverId, reason: describe(error) },
      });
    }
  }

  /** Starts `image` as `container` on the server, healthy before it takes the traffic, and retires what served. */
  private async switchTo(
    service: KnownService,
    deployment: Deployment,
    target: DeploymentTarget,
    image: string,
    container: string,
    log: (line: string) => void,
  ) {
    const agent = this.agentOf(deployment.workspaceId, target);
    const key = serviceKey(deployment.serviceId);
    const running = (await agent.listContainers({ service: key })).containers
      .filter((c) => c.state === 'running' && c.name !== container)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return agent.cutover(
      {
        container: {
          name: container,
          image,
          service: key,
          port: deployment.port,
          env: this.openEnv(deployment, { PORT: String(deployment.port) }),
          healthCheck: {
            path: deployment.healthCheckPath,
            intervalMs: 200,
            timeoutMs: 2000,
            retries: 3,
            startPeriodMs: 15_000,
          },
        },
        replaces: running[0]?.name,
        hostnames: [serviceHostname(service.name)],
        healthTimeoutMs: this.options.healthTimeoutMs ?? 60_000,
      },
      (line) => {
        if (line.type === 'step') log(`${line.step}: ${line.status} ${line.message}`);
      },
    );
  }

  /** Puts every server this deployment switched back on the previous version, then ends it failed. */
  private async rollBack(service: KnownService, deployment: Deployment, metadata: StepMetadata): Promise<boolean> {
    const { deploymentId } = deployment;
    const previous =
      service.current && service.current !== deploymentId ? service.deployments[service.current] : undefined;
    for (const target of deployment.targets) {
      const server = deployment.servers[target.serverId];
      // A server that switched and then could not be reached keeps the container this deployment started.
      if (server?.status !== 'switched' && !(server?.status === 'failed' && server.container)) continue;
      let reason: string | null = null;
      let container: string | null = null;
      try {
        const previousImage = previous?.servers[target.serverId]?.image;
        if (previous && previousImage) {
          container = `${serviceKey(deployment.serviceId)}-${short(target.serverId)}-${short(deploymentId)}-back`;
          await this.switchTo(service, previous, target, previousImage, container, () => undefined);
        } else {
          // Nothing ran here before this deployment: stop what it started.
          await this.agentOf(deployment.workspaceId, target).stopContainer(
            deployment.servers[target.serverId]?.container as string,
          );
        }
      } catch (error) {
        reason = `rolling back failed: ${describe(error)}`;
      }
      await this.record(metadata, nameBasedUuid(`${deploymentId}:${target.serverId}:rolled-back`), {
        type: 'RecordServerRolledBack',
        data: { deploymentId, serverId: target.serverId, container, reason },
      });
    }
    await this.options.frontDoor
      ?.close(deploymentId, serviceHostname(service.name))
      .catch((error: unknown) =>
        this.options.logger.warn({ deploymentId, err: error }, 'the front door could not route back to what serves'),
      );
    const failure = deployment.failure ?? { serverId: null, reason: 'failed' };
    const reason = failure.serverId ? `server ${failure.serverId}: ${failure.reason}` : failure.reason;
    await this.record(metadata, nameBasedUuid(`${deploymentId}:failed`), {
      type: 'RecordDeploymentFailed',
      data: { deploymentId, serverId: failure.serverId, reason, durationMs: this.elapsedMs(deployment) },
    });
    this.options.logger.warn(
      { deploymentId, serviceId: deployment.serviceId, service: service.name, reason },
      'deployment failed',
    );
    return false;
  }

  private async prune(service: KnownService, deployment: Deployment, target: DeploymentTarget): Promise<void> {
    try {
      const pruned = await this.agentOf(deployment.workspaceId, target).pruneImages({
        keep: this.options.keepImages,
        service: serviceKey(deployment.serviceId),
      });
      if (pruned.removed.length) {
        this.options.logger.info(
          { deploymentId: deployment.deploymentId, serverId: target.serverId, removed: pruned.removed },
          'pruned old images',
        );
      }
    } catch (error) {
      this.options.logger.warn(
        { deploymentId: deployment.deploymentId, serverId: target.serverId, service: service.name, err: error },
        'pruning old images failed',
      );
    }
  }

  /** Deletes the service's images in the registry beyond the newest it keeps; retried after the next deployment. */
  private async pruneRegistry(deployment: Deployment): Promise<void> {
    const { service } = await this.load(deployment.serviceId, deployment.deploymentId);
    if (!service) return;
    const registry = this.registryFor(service, deployment);
    if (!registry?.deleteImage) return;
    for (const image of registryImagesToDelete(service, this.options.registryKeepImages ?? 10)) {
      try {
        await registry.deleteImage(deployment.workspaceId, image);
      } catch (error) {
        this.options.logger.warn(
          { deploymentId: deployment.deploymentId, image: byDigest(image), err: error },
          'deleting an old image from the registry failed',
        );
      }
    }
  }

  private openEnv(deployment: Deployment, extra: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = { ...extra };
    for (const [name, sealed] of Object.entries(deployment.env)) {
      env[name] = this.options.secrets.open(
        sealed,
        envSecretContext(deployment.workspaceId, deployment.serviceId, name),
      );
    }
    return env;
  }

  private agentOf(workspaceId: string, target: DeploymentTarget): DeploymentAgent {
    const secret = this.options.secrets.open(
      target.sealedAgentSecret,
      agentSecretContext(workspaceId, target.serverId),
    );
    const connection = { baseUrl: target.agentUrl, secret };
    return (
      this.options.connectAgent?.(connection) ??
      new AgentClient({ ...connection, ca: this.options.agentCa, timeoutMs: 30_000 })
    );
  }

  private elapsedMs(deployment: Deployment): number {
    return (this.options.now?.() ?? new Date()).getTime() - Date.parse(deployment.requestedAt);
  }

  private async load(serviceId: string, deploymentId: string) {
    const { state, events } = await this.options.commands.load(serviceStreamId(serviceId));
    if (state.status === 'absent') return { service: undefined, deployment: undefined, metadata: undefined };
    const requested = events.find(
      (event) =>
        event.type === 'DeploymentRequested' && (event.data as { deploymentId: string }).deploymentId === deploymentId,
    );
    const metadata: StepMetadata | undefined = requested && {
      workspaceId: requested.metadata.workspaceId,
      actorId: 'deployer',
      correlationId: requested.metadata.correlationId,
      serviceId,
    };
    return { service: state, deployment: state.deployments[deploymentId], metadata };
  }

  private record(metadata: StepMetadata, commandId: string, command: DeploymentProgressCommand) {
    const { serviceId, ...messageMetadata } = metadata;
    return this.options.commands.record(messageMetadata, commandId, command, serviceStreamId(serviceId));
  }
}
