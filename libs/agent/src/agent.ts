import { statfs } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readSecretFile, RequestVerifier } from '@platform/agent-protocol';
import {
  AGENT_VERSION,
  DomainError,
  type AgentHealth,
  type AgentVersionInfo,
  type ApplyRoutesResponse,
  type BuildImageQuery,
  type ContainerHealth,
  type ContainerInfo,
  type CutoverSpec,
  type EdgeRouteSpec,
  type EdgeRouteView,
  type ImageResult,
  type PushImageRequest,
  type PushImageResult,
  type RegistryAuth,
  type ManagedImage,
  type PruneImagesResponse,
  type RunContainerSpec,
  type StopContainerResponse,
  type TagImageRequest,
  type Upstream,
} from '@platform/contracts';
import type { AgentConfig } from './config';
import { Cutover, type ProgressSink } from './cutover';
import { Edge } from './edge/edge';
import { nginxLayout, type NginxLayout } from './edge/nginx-config';
import { NginxProcess } from '@platform/nginx';
import { prepareBuild, type PreparedBuild } from './image-build';
import { DockerRuntime } from './runtime/docker-runtime';
import { HealthMonitor } from './runtime/health';

export interface IncomingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Everything the agent does, for its HTTP API (http-server.ts) to call: one instance per server. */
export class Agent {
  private constructor(
    private readonly config: AgentConfig,
    private readonly verifier: RequestVerifier,
    private readonly runtime: DockerRuntime,
    private readonly nginx: NginxProcess<NginxLayout>,
    private readonly edge: Edge,
    private readonly health: HealthMonitor,
    private readonly cutovers: Cutover,
  ) {}

  /**
   * Reads the secret (refusing a file others may read), connects to the Docker engine, and starts nginx with
   * the stored route table or re-attaches to the nginx already running.
   */
  static async start(config: AgentConfig): Promise<Agent> {
    const secret = await readSecretFile(config.secretFile);
    const runtime = DockerRuntime.connect(config.dockerSocket, {
      agentId: config.agentId,
      upstreamHost: config.upstreamHost,
    });
    const nginx = new NginxProcess(config.nginx.bin, nginxLayout(config.nginx.prefix));
    const resolveUpstream = async (upstream: Upstream) => {
      if ('host' in upstream) return upstream;
      const state = await runtime.state(upstream.container).catch(() => undefined);
      if (!state?.running || state.info.hostPort === null) {
        throw new DomainError(
          'validation_failed',
          `the upstream container ${upstream.container} is not running on this server`,
          [{ reason: 'invalid_upstream', container: upstream.container }],
        );
      }
      return { host: config.upstreamHost, port: state.info.hostPort };
    };
    const edge = new Edge(
      nginx,
      config.edge,
      { workers: config.nginx.workers, stateFile: join(config.dataDir, 'routes.json') },
      resolveUpstream,
    );
    await edge.start();
    const health = new HealthMonitor(runtime, config.upstreamHost);
    const agent = new Agent(
      config,
      new RequestVerifier(secret),
      runtime,
      nginx,
      edge,
      health,
      new Cutover(runtime, health, edge),
    );
    await agent.watchRunningContainers();
    return agent;
  }

  /** Health checks resume for the containers that were running before the agent (re)started. */
  private async watchRunningContainers(): Promise<void> {
    const containers = await this.runtime.list().catch(() => []);
    for (const container of containers) if (container.state === 'running') this.health.watch(container.name);
  }

  /** Checks a request's signature, window and nonce; returns the body hash it signed. */
  authenticate(request: IncomingRequest): string {
    const verdict = this.verifier.verify({
      method: request.method,
      pathWithQuery: request.url,
      headers: request.headers,
    });
    if (!verdict.ok) throw new DomainError('unauthorized', verdict.message, [{ reason: verdict.reason }]);
    return verdict.bodySha256;
  }

  async status(): Promise<AgentHealth> {
    const [docker, nginx] = await Promise.all([this.runtime.ping(), this.nginx.masterPid().then(Boolean)]);
    return { status: docker && nginx ? 'ok' : 'degraded', checks: { docker, nginx } };
  }

  async version(): Promise<AgentVersionInfo> {
    const [docker, nginxVersion, disk] = await Promise.all([
      this.runtime.version(),
      this.nginx.version(),
      statfs(this.config.dataDir),
    ]);
    return {
      agentVersion: AGENT_VERSION,
      docker,
      nginx: nginxVersion ? { version: nginxVersion } : null,
      disk: { path: this.config.dataDir, freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize },
      memory: { freeBytes: freemem(), totalBytes: totalmem() },
    };
  }

  prepareBuild(
    query: BuildImageQuery & { readonly dockerfile: string },
    body: NodeJS.ReadableStream,
    signedSha256: string,
  ): Promise<PreparedBuild> {
    return prepareBuild({
      body,
      signedSha256,
      query,
      workRoot: join(this.config.dataDir, 'builds'),
      maxUploadBytes: this.config.archive.maxUploadBytes,
      limits: { maxEntries: this.config.archive.maxEntries, maxUnpackedBytes: this.config.archive.maxUnpackedBytes },
      runtime: this.runtime,
    });
  }

  pullImage(image: string, auth?: RegistryAuth): Promise<ImageResult> {
    return this.runtime.pull(image, auth);
  }

  pushImage(request: PushImageRequest): Promise<PushImageResult> {
    return this.runtime.push(request);
  }

  tagImage(request: TagImageRequest): Promise<ImageResult> {
    return this.runtime.adopt(request);
  }

  listImages(service?: string): Promise<ManagedImage[]> {
    return this.runtime.listImages(service);
  }

  removeImage(image: string): Promise<{ removed: string[] }> {
    return this.runtime.removeImage(image);
  }

  pruneImages(keep: number, service?: string): Promise<PruneImagesResponse> {
    return this.runtime.pruneImages(keep, service);
  }

  async runContainer(spec: RunContainerSpec): Promise<ContainerInfo> {
    this.health.forget(spec.name);
    const info = await this.runtime.run(spec);
    if (spec.healthCheck) this.health.watch(spec.name);
    return info;
  }

  listContainers(service?: string): Promise<ContainerInfo[]> {
    return this.runtime.list(service);
  }

  stopContainer(name: string, graceSeconds: number, remove: boolean): Promise<StopContainerResponse> {
    return this.runtime.stop(name, graceSeconds, remove);
  }

  containerLogs(name: string, options: { tail: number; follow: boolean }): Promise<Readable> {
    return this.runtime.logs(name, options);
  }

  containerHealth(name: string): Promise<ContainerHealth> {
    return this.health.report(name);
  }

  async applyRoutes(routes: EdgeRouteSpec[]): Promise<ApplyRoutesResponse> {
    const applied = await this.edge.apply(routes);
    return { routes: applied.routes, testMs: applied.testMs, reloadMs: applied.reloadMs };
  }

  routes(): EdgeRouteView[] {
    return this.edge.routes();
  }

  putChallenge(token: string, keyAuthorization: string): Promise<void> {
    return this.edge.putChallenge(token, keyAuthorization);
  }

  removeChallenge(token: string): Promise<void> {
    return this.edge.removeChallenge(token);
  }

  cutover(spec: CutoverSpec, emit: ProgressSink): Promise<void> {
    return this.cutovers.run(spec, emit);
  }

  /** Stops background health checks; nginx and the containers keep running (and serving) without the agent. */
  close(): void {
    this.health.close();
  }
}
