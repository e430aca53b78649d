import { createServer } from 'node:net';
import type { Readable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import Dockerode from 'dockerode';
import { pack as tarPack } from 'tar-stream';
import {
  AgentLabels,
  DEPLOY_TAG_PREFIX,
  DomainError,
  HealthCheckSchema,
  type ContainerInfo,
  type HealthCheck,
  type ImageResult,
  type ManagedImage,
  type PruneImagesResponse,
  type PushImageRequest,
  type PushImageResult,
  type RegistryAuth,
  type RunContainerSpec,
  type StopContainerResponse,
  type TagImageRequest,
} from '@platform/contracts';
import { packDirectory } from '@platform/archive';
import {
  buildAgainIfLayerVanished,
  BuildStepOutput,
  demultiplexLogs,
  DockerStreamError,
  followProgress,
} from './docker-streams';

/** Label on platform images: when the agent built or tagged them, in ms, to order deployments within a second. */
const CREATED_AT_LABEL = 'io.platform.created-at';

interface DockerApiError {
  readonly statusCode?: number;
  readonly json?: { readonly message?: string } | null;
  readonly message?: string;
}

function engineMessage(error: unknown): string {
  const apiError = error as DockerApiError;
  return (apiError.json?.message ?? apiError.message ?? String(error)).trim();
}

/** The engine's refusal as a platform error: 404 → not_found, 409 → conflict, anything else → unavailable. */
function fromEngine(error: unknown, what: string): DomainError {
  if (error instanceof DomainError) return error;
  const status = (error as DockerApiError).statusCode;
  const message = `${what}: ${engineMessage(error)}`;
  if (status === 404) return new DomainError('not_found', message);
  if (status === 409) return new DomainError('conflict', message);
  if (status === 400) return new DomainError('validation_failed', message);
  return new DomainError('unavailable', message);
}

/** Asks the kernel for a free loopback port; the engine then binds it for the container. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function toIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export interface ContainerState {
  readonly info: ContainerInfo;
  readonly running: boolean;
  readonly exitCode: number | null;
  readonly startedAt: number | null;
  readonly healthCheck: HealthCheck | undefined;
}

/**
 * The Docker side of the agent, over the Engine API (never the docker CLI). It acts only on images and
 * containers that carry the platform's labels, and on containers only when this agent runs them.
 */
export class DockerRuntime {
  constructor(
    private readonly docker: Dockerode,
    private readonly options: { readonly agentId: string; readonly upstreamHost: string },
  ) {}

  static connect(socketPath: string, options: { agentId: string; upstreamHost: string }): DockerRuntime {
    return new DockerRuntime(new Dockerode({ socketPath }), options);
  }

  async version(): Promise<{ version: string; apiVersion: string } | null> {
    try {
      const version = await this.docker.version();
      return { version: version.Version, apiVersion: version.ApiVersion };
    } catch {
      return null;
    }
  }

  async ping(): Promise<boolean> {
    return this.docker.ping().then(
      () => true,
      () => false,
    );
  }

  private platformLabels(service: string, workspace: string | undefined): Record<string, string> {
    return {
      [AgentLabels.managed]: 'true',
      [AgentLabels.service]: service,
      ...(workspace ? { [AgentLabels.workspace]: workspace } : {}),
      [AgentLabels.agent]: this.options.agentId,
      [CREATED_AT_LABEL]: String(Date.now()),
    };
  }

  /** Builds `image` from a directory (the extracted archive), streaming the builder's output to `onLog`. */
  async build(
    contextDir: string,
    options: { image: string; service: string; workspace?: string; dockerfile: string },
    onLog: (line: string) => void,
  ): Promise<ImageResult> {
    const step = new BuildStepOutput();
    const log = (line: string) => {
      step.add(line);
      onLog(line);
    };
    await buildAgainIfLayerVanished(() => this.buildOnce(contextDir, options, log), log).catch((error: unknown) => {
      if (error instanceof DockerStreamError) {
        throw new DomainError('validation_failed', step.failure(error.message), [{ reason: 'build_failed' }]);
      }
      throw error;
    });
    return this.imageResult(options.image);
  }

  private async buildOnce(
    contextDir: string,
    options: { image: string; service: string; workspace?: string; dockerfile: string },
    onLog: (line: string) => void,
  ): Promise<void> {
    const started = performance.now();
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(packDirectory(contextDir) as unknown as NodeJS.ReadableStream, {
        t: options.image,
        dockerfile: options.dockerfile,
        labels: this.platformLabels(options.service, options.workspace),
        rm: true,
        forcerm: true,
      });
    } catch (error) {
      throw fromEngine(error, 'the image build could not start');
    }
    try {
      await followProgress(stream, (message) => {
        // The builder paints what a step writes to stderr red; the build log is plain text.
        const text = stripVTControlCharacters(message.stream ?? message.status ?? '').trimEnd();
        if (text) onLog(text);
      });
    } catch (error) {
      if (error instanceof DockerStreamError) throw error;
      const seconds = Math.round((performance.now() - started) / 1000);
      throw fromEngine(
        error,
        `the Docker engine stopped sending the build's output ${seconds} s in (is it restarting?)`,
      );
    }
  }

  /** Pulls `image`; `auth` goes to the engine with this pull only (`X-Registry-Auth`) and is kept nowhere. */
  async pull(image: string, auth?: RegistryAuth): Promise<ImageResult> {
    try {
      const stream = await this.docker.pull(image, auth ? { authconfig: auth } : {});
      await followProgress(stream, () => undefined);
    } catch (error) {
      if (error instanceof DockerStreamError)
        throw new DomainError('unavailable', `pulling ${image} failed: ${error.message}`);
      throw fromEngine(error, `pulling ${image} failed`);
    }
    return this.imageResult(image);
  }

  /**
   * Pushes a platform image of this server to `repository:tag` with credentials for this push only, and answers
   * the digest the registry stored it under. The registry's tag is removed from this engine again: the server
   * keeps its images under its own tags (which pruning knows), and runs what it pulls by digest.
   */
  async push(request: PushImageRequest): Promise<PushImageResult> {
    const labels = await this.docker
      .getImage(request.source)
      .inspect()
      .then((image) => image.Config?.Labels ?? {})
      .catch((error: unknown) => {
        throw fromEngine(error, `no image ${request.source}`);
      });
    if (labels[AgentLabels.managed] !== 'true')
      throw new DomainError(
        'forbidden',
        `the image ${request.source} was not made by the platform; the agent does not push it`,
      );
    const target = `${request.repository}:${request.tag}`;
    let digest: string | undefined;
    try {
      await this.docker.getImage(request.source).tag({ repo: request.repository, tag: request.tag });
      const stream = await this.docker
        .getImage(request.repository)
        .push({ tag: request.tag, authconfig: request.auth });
      await followProgress(stream, (message) => {
        const aux = (message as { aux?: { Digest?: string } }).aux;
        if (aux?.Digest) digest = aux.Digest;
      });
    } catch (error) {
      if (error instanceof DockerStreamError)
        throw new DomainError('unavailable', `pushing ${target} failed: ${error.message}`);
      throw fromEngine(error, `pushing ${target} failed`);
    } finally {
      await this.docker
        .getImage(target)
        .remove({ noprune: true })
        .catch(() => undefined);
    }
    if (!digest) throw new DomainError('unavailable', `the registry took ${target} without naming its digest`);
    return { image: target, digest };
  }

  /**
   * Gives an existing image a platform tag and the platform's labels (a build of `FROM source` with labels
   * only, which adds no layer), so pruning and listing treat it as the platform's own. Local servers share one
   * Docker engine: an image the platform made (built or tagged) is only tagged for the workspace and service it
   * was made for, so that no tenant runs another's image by naming it.
   */
  async adopt(request: TagImageRequest): Promise<ImageResult> {
    await this.refuseImageOfAnother(request);
    const target = `${request.repository}:${request.tag}`;
    const context = dockerfileContext(`FROM ${request.source}\n`);
    try {
      const stream = await this.docker.buildImage(context, {
        t: target,
        labels: this.platformLabels(request.service, request.workspace),
        rm: true,
      });
      await followProgress(stream, () => undefined);
    } catch (error) {
      if (error instanceof DockerStreamError)
        throw new DomainError('unavailable', `tagging ${request.source} failed: ${error.message}`);
      throw fromEngine(error, `tagging ${request.source} failed`);
    }
    return this.imageResult(target);
  }

  private async refuseImageOfAnother(request: TagImageRequest): Promise<void> {
    let labels: Record<string, string>;
    try {
      labels = (await this.docker.getImage(request.source).inspect()).Config?.Labels ?? {};
    } catch (error) {
      throw fromEngine(error, `no image ${request.source}`);
    }
    if (labels[AgentLabels.managed] !== 'true') return;
    // Images made before they were labelled with a workspace are told apart by their service, unique per instance.
    const workspace = labels[AgentLabels.workspace] ?? request.workspace;
    if (workspace !== request.workspace || labels[AgentLabels.service] !== request.service) {
      throw new DomainError(
        'forbidden',
        `the image ${request.source} was made by the platform for another service: a deployment may use the images of its own service, or images from a registry`,
        [{ reason: 'image_of_another_service' }],
      );
    }
  }

  private async imageResult(image: string): Promise<ImageResult> {
    try {
      const inspected = await this.docker.getImage(image).inspect();
      return { image, imageId: inspected.Id };
    } catch (error) {
      throw fromEngine(error, `no image ${image}`);
    }
  }

  /** Label filters for the platform images this agent made (local servers share one engine, each sees its own). */
  private imageFilters(service?: string): string {
    const labels = [
      `${AgentLabels.managed}=true`,
      `${AgentLabels.agent}=${this.options.agentId}`,
      ...(service ? [`${AgentLabels.service}=${service}`] : []),
    ];
    return JSON.stringify({ label: labels });
  }

  async listImages(service?: string): Promise<ManagedImage[]> {
    const images = await this.docker.listImages({ filters: this.imageFilters(service) }).catch((error: unknown) => {
      throw fromEngine(error, 'listing images failed');
    });
    return images.map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
      service: image.Labels?.[AgentLabels.service] ?? '',
      createdAt: toIso(image.Created),
      sizeBytes: image.Size,
    }));
  }

  /** Removes a tag (or an image) the platform made; images without its label are refused. */
  async removeImage(reference: string): Promise<{ removed: string[] }> {
    const inspected = await this.docker
      .getImage(reference)
      .inspect()
      .catch((error: unknown) => {
        throw fromEngine(error, `no image ${reference}`);
      });
    const labels = inspected.Config?.Labels ?? {};
    if (labels[AgentLabels.managed] !== 'true' || labels[AgentLabels.agent] !== this.options.agentId) {
      throw new DomainError(
        'forbidden',
        `the image ${reference} was not made by the platform on this server; the agent does not remove it`,
      );
    }
    try {
      const result = (await this.docker.getImage(reference).remove()) as Array<{ Untagged?: string; Deleted?: string }>;
      return {
        removed: result.flatMap((entry) =>
          [entry.Untagged, entry.Deleted].filter((item): item is string => Boolean(item)),
        ),
      };
    } catch (error) {
      throw fromEngine(error, `removing ${reference} failed`);
    }
  }

  /**
   * Keeps the newest `keep` `deploy_*` tags of each service (by when the agent built or tagged them) and removes
   * the other tags. Only images this agent made, with the platform's labels, are considered; an image a
   * container still uses is skipped, never forced.
   */
  async pruneImages(keep: number, service?: string): Promise<PruneImagesResponse> {
    const images = await this.docker.listImages({ filters: this.imageFilters(service) });
    const byService = new Map<string, { tag: string; createdAt: number }[]>();
    for (const image of images) {
      const owner = image.Labels?.[AgentLabels.service];
      if (!owner) continue;
      const createdAt = Number(image.Labels?.[CREATED_AT_LABEL] ?? image.Created * 1000);
      for (const tag of image.RepoTags ?? []) {
        if (!tag.slice(tag.lastIndexOf(':') + 1).startsWith(DEPLOY_TAG_PREFIX)) continue;
        byService.set(owner, [...(byService.get(owner) ?? []), { tag, createdAt }]);
      }
    }
    const result: PruneImagesResponse = { removed: [], kept: [], skipped: [] };
    for (const tags of byService.values()) {
      tags.sort((a, b) => b.createdAt - a.createdAt || b.tag.localeCompare(a.tag));
      result.kept.push(...tags.slice(0, keep).map((entry) => entry.tag));
      for (const { tag } of tags.slice(keep)) {
        try {
          await this.docker.getImage(tag).remove();
          result.removed.push(tag);
        } catch (error) {
          result.skipped.push({ image: tag, reason: engineMessage(error) });
        }
      }
    }
    return result;
  }

  /** Creates and starts a container; its port is published on the upstream host for nginx. */
  async run(spec: RunContainerSpec): Promise<ContainerInfo> {
    const labels: Record<string, string> = {
      ...spec.labels,
      [AgentLabels.managed]: 'true',
      [AgentLabels.service]: spec.service,
      [AgentLabels.agent]: this.options.agentId,
      [AgentLabels.port]: String(spec.port),
      ...(spec.healthCheck ? { [AgentLabels.healthCheck]: JSON.stringify(spec.healthCheck) } : {}),
    };
    const containerPort = `${spec.port}/tcp`;
    for (let attempt = 1; ; attempt++) {
      // A fixed host port (rather than one the engine picks) survives container restarts, so the nginx
      // upstream stays right when the restart policy brings the app back.
      const hostPort = await freePort(this.options.upstreamHost);
      try {
        const container = await this.docker.createContainer({
          name: spec.name,
          Image: spec.image,
          Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
          Labels: labels,
          ...(spec.command ? { Cmd: spec.command } : {}),
          ExposedPorts: { [containerPort]: {} },
          HostConfig: {
            PortBindings: { [containerPort]: [{ HostIp: this.options.upstreamHost, HostPort: String(hostPort) }] },
            RestartPolicy:
              spec.restartPolicy === 'on-failure'
                ? { Name: 'on-failure', MaximumRetryCount: 5 }
                : { Name: spec.restartPolicy },
            ...(spec.memoryMb ? { Memory: spec.memoryMb * 1024 * 1024 } : {}),
            ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
            LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
          },
        });
        try {
          await container.start();
        } catch (error) {
          await container.remove({ force: true }).catch(() => undefined);
          throw error;
        }
        return (await this.state(spec.name)).info;
      } catch (error) {
        if (attempt < 5 && /port is already allocated|address already in use/i.test(engineMessage(error))) continue;
        throw fromEngine(error, `running ${spec.name} failed`);
      }
    }
  }

  /** The container's state, if it is a platform container run by this agent; not_found otherwise. */
  async state(name: string): Promise<ContainerState> {
    const inspected = await this.docker
      .getContainer(name)
      .inspect()
      .catch((error: unknown) => {
        throw fromEngine(error, `no container ${name}`);
      });
    const labels = inspected.Config.Labels ?? {};
    if (labels[AgentLabels.managed] !== 'true' || labels[AgentLabels.agent] !== this.options.agentId) {
      throw new DomainError('not_found', `no container ${name} on this server`);
    }
    const port = labels[AgentLabels.port] ? Number(labels[AgentLabels.port]) : null;
    const binding = port === null ? undefined : inspected.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
    // A container the restart policy is about to start again is not serving; its last exit code says why.
    const running = inspected.State.Running && !inspected.State.Restarting;
    const healthCheck = labels[AgentLabels.healthCheck]
      ? HealthCheckSchema.safeParse(JSON.parse(labels[AgentLabels.healthCheck]))
      : undefined;
    return {
      info: {
        id: inspected.Id,
        name: inspected.Name.replace(/^\//, ''),
        image: inspected.Config.Image,
        service: labels[AgentLabels.service] ?? '',
        state: inspected.State.Status,
        port,
        hostPort: running && binding ? Number(binding.HostPort) : null,
        createdAt: new Date(inspected.Created).toISOString(),
      },
      running,
      exitCode: running ? null : inspected.State.ExitCode,
      startedAt: inspected.State.StartedAt ? Date.parse(inspected.State.StartedAt) : null,
      healthCheck: healthCheck?.success ? healthCheck.data : undefined,
    };
  }

  async list(service?: string): Promise<ContainerInfo[]> {
    const labels = [
      `${AgentLabels.managed}=true`,
      `${AgentLabels.agent}=${this.options.agentId}`,
      ...(service ? [`${AgentLabels.service}=${service}`] : []),
    ];
    const containers = await this.docker
      .listContainers({ all: true, filters: JSON.stringify({ label: labels }) })
      .catch((error: unknown) => {
        throw fromEngine(error, 'listing containers failed');
      });
    return containers.map((container) => {
      const port = container.Labels[AgentLabels.port] ? Number(container.Labels[AgentLabels.port]) : null;
      const binding = container.Ports.find((published) => published.PrivatePort === port && published.PublicPort);
      return {
        id: container.Id,
        name: (container.Names[0] ?? '').replace(/^\//, ''),
        image: container.Image,
        service: container.Labels[AgentLabels.service] ?? '',
        state: container.State,
        port,
        hostPort: container.State === 'running' && binding ? binding.PublicPort : null,
        createdAt: toIso(container.Created),
      };
    });
  }

  /** SIGTERM, then SIGKILL after `graceSeconds`; then removes the container unless told not to. */
  async stop(name: string, graceSeconds: number, remove: boolean): Promise<StopContainerResponse> {
    const state = await this.state(name);
    const container = this.docker.getContainer(name);
    let stopped = false;
    if (state.running) {
      await container.stop({ t: graceSeconds }).catch((error: unknown) => {
        // 304: it stopped by itself in the meantime.
        if ((error as DockerApiError).statusCode !== 304) throw fromEngine(error, `stopping ${name} failed`);
      });
      stopped = true;
    }
    if (remove) {
      await container.remove({ force: true }).catch((error: unknown) => {
        if ((error as DockerApiError).statusCode !== 404) throw fromEngine(error, `removing ${name} failed`);
      });
    }
    return { name, stopped, removed: remove };
  }

  /** The container's output, stdout and stderr interleaved, as text; `follow` keeps it open. */
  async logs(name: string, options: { tail: number; follow: boolean }): Promise<Readable> {
    await this.state(name);
    const container = this.docker.getContainer(name);
    const demultiplexed = demultiplexLogs();
    try {
      if (options.follow) {
        const stream = await container.logs({ follow: true, stdout: true, stderr: true, tail: options.tail });
        (stream as Readable).pipe(demultiplexed);
        demultiplexed.on('close', () => (stream as Readable).destroy());
      } else {
        const bytes = await container.logs({ follow: false, stdout: true, stderr: true, tail: options.tail });
        demultiplexed.end(bytes);
      }
    } catch (error) {
      throw fromEngine(error, `reading the logs of ${name} failed`);
    }
    return demultiplexed;
  }

  /** The last lines a container wrote, to explain why it stopped or never became healthy. */
  async lastLogLines(name: string, lines: number): Promise<string> {
    const stream = await this.logs(name, { tail: lines, follow: false }).catch(() => undefined);
    if (!stream) return '';
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').trim();
  }
}

/** A build context holding nothing but a Dockerfile. */
function dockerfileContext(content: string): NodeJS.ReadableStream {
  const pack = tarPack();
  pack.entry({ name: 'Dockerfile', mode: 0o644 }, content);
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}
