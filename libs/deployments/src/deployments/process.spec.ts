import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import {
  agentSecretContext,
  deploymentEvents,
  deployTag,
  DomainError,
  envSecretContext,
  serviceEvents,
  type ArchiveContentType,
  type BuildImageQuery,
  type BuildProgressLine,
  type CutoverProgressLine,
  type CutoverRequest,
  type CutoverResult,
  type DeploymentTarget,
  type DeploySource,
  type ImageResult,
  type ListContainersResponse,
  type PruneImagesRequest,
  type PruneImagesResponse,
  type PullImageRequest,
  type PushImageRequest,
  type PushImageResult,
  type RegistryAuth,
  type StopContainerResponse,
  type TagImageRequest,
} from '@platform/contracts';
import { StreamVersionConflictError, type EventStore, type NewEvent, type StoredEvent } from '@platform/event-store';
import { SelfHostedRegistry } from '@platform/registry';
import { PlatformCertificateAuthority, SecretBox } from '@platform/secrets';
import { DeciderCommandHandler } from '@platform/service-kit';
import { serviceDecider, serviceStreamId, type ServiceCommand, type ServiceEvent } from '../services/decider';
import type { FrontRoute, ServiceFrontDoor } from './front-routes';
import { DeploymentProcess, serviceKey, type DeploymentAgent, type DeploymentProcessOptions } from './process';
import type { SourceArchives } from './source-archives';
import type { WayIn } from './ways-in';

const workspaceId = 'ws_1';
const serviceId = 'cccccccc-0000-4000-8000-000000000001';
const previous = 'aaaaaaaa-0000-4000-8000-000000000001';
const deploymentId = 'bbbbbbbb-0000-4000-8000-000000000002';
const servers = {
  A: '11111111-1111-4111-8111-111111111111',
  B: '22222222-2222-4222-8222-222222222222',
  C: '33333333-3333-4333-8333-333333333333',
} as const;
type ServerName = keyof typeof servers;
const nameOf = (serverId: string) => (Object.keys(servers) as ServerName[]).find((name) => servers[name] === serverId);

const key = serviceKey(serviceId);
const imageOf = (server: ServerName, deployment: string) =>
  `srv-${servers[server].slice(0, 8)}/${key}:${deployTag(deployment)}`;
const containerOf = (server: ServerName, deployment: string) =>
  `${key}-${servers[server].slice(0, 8)}-${deployment.slice(0, 8)}`;

const requestedAt = new Date('2026-12-01T10:00:00Z');
const deadlineMs = 30 * 60_000;
const box = new SecretBox(randomBytes(32));
const sealEnv = (env: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, box.seal(value, envSecretContext(workspaceId, serviceId, name))]),
  );
const target = (server: ServerName): DeploymentTarget => ({
  serverId: servers[server],
  agentUrl: `http://agent-${server}.test:7100`,
  sealedAgentSecret: box.seal(`secret of ${server}`, agentSecretContext(workspaceId, servers[server])),
  publicIp: `10.0.0.${server.charCodeAt(0)}`,
  edgeHttpPort: 80,
});

// ---------------------------------------------------------------------------------------------------------------
// Given: the service's stream.

/** The service's settings at each deployment: `previous` ran with the first ones. */
const settingsBefore = { port: 3000, healthCheckPath: '/health', greeting: 'hello' };
const settingsNow = { port: 8080, healthCheckPath: '/ready', greeting: 'bonjour' };

const created: ServiceEvent = {
  type: 'ServiceCreated',
  data: {
    serviceId,
    projectId: 'dddddddd-0000-4000-8000-000000000001',
    workspaceId,
    name: 'web',
    port: settingsBefore.port,
    healthCheckPath: settingsBefore.healthCheckPath,
    env: sealEnv({ GREETING: settingsBefore.greeting }),
  },
};
/** The service moved to another port and greeting after `previous` was deployed. */
const updated: ServiceEvent = {
  type: 'ServiceUpdated',
  data: {
    serviceId,
    port: settingsNow.port,
    healthCheckPath: settingsNow.healthCheckPath,
    setEnv: sealEnv({ GREETING: settingsNow.greeting }),
    unsetEnv: [],
  },
};

function requested(
  id: string,
  on: readonly ServerName[],
  options: { batchSize?: number; source?: DeploySource; settings?: typeof settingsNow } = {},
): ServiceEvent {
  const settings = options.settings ?? settingsNow;
  return {
    type: 'DeploymentRequested',
    data: {
      deploymentId: id,
      serviceId,
      workspaceId,
      source: options.source ?? { type: 'image', image: 'registry.test/acme/web:2' },
      tag: deployTag(id),
      targets: on.map(target),
      env: sealEnv({ GREETING: settings.greeting }),
      port: settings.port,
      healthCheckPath: settings.healthCheckPath,
      batchSize: options.batchSize ?? 1,
      rollbackOf: null,
      requestedAt: requestedAt.toISOString(),
    },
  };
}
const imageReady = (id: string, server: ServerName): ServiceEvent => ({
  type: 'ImageReady',
  data: { deploymentId: id, serverId: servers[server], image: imageOf(server, id), how: 'pulled', agentMs: 5 },
});
const switched = (id: string, server: ServerName): ServiceEvent => ({
  type: 'ServerSwitched',
  data: {
    deploymentId: id,
    serverId: servers[server],
    container: containerOf(server, id),
    image: imageOf(server, id),
    switchedAfterMs: 800,
    agentMs: 900,
  },
});
/** A cutover as the process records it: how long the agent took is measured, so any number. */
const recordedSwitch = (server: ServerName): ServiceEvent => ({
  type: 'ServerSwitched',
  data: {
    deploymentId,
    serverId: servers[server],
    container: containerOf(server, deploymentId),
    image: imageOf(server, deploymentId),
    switchedAfterMs: 700,
    agentMs: expect.any(Number),
  },
});
/** `previous` serves on A, B and C: what a failed deployment goes back to. */
const previousServes: ServiceEvent[] = [
  created,
  requested(previous, ['A', 'B', 'C'], { batchSize: 3, settings: settingsBefore }),
  ...(['A', 'B', 'C'] as const).flatMap((server) => [imageReady(previous, server), switched(previous, server)]),
  { type: 'DeploymentSucceeded', data: { deploymentId: previous, durationMs: 4000 } },
  updated,
];

// ---------------------------------------------------------------------------------------------------------------
// Fakes: the service's stream in memory behind the real command handler, and one agent per server.

/** What happened, in order: agent calls (`A cutover …`) and events appended (`ServerSwitched A`). */
let timeline: string[];
/** Cutovers running at once, now and at most. */
const inFlight = { now: 0, most: 0 };

/** The two calls the decider command handler makes on an event store, over streams kept in memory. */
class InMemoryStreams {
  readonly schema = 'unit';
  readonly signals = new EventEmitter();
  private readonly streams = new Map<string, StoredEvent[]>();

  given(streamId: string, events: readonly ServiceEvent[]): void {
    const metadata = { workspaceId, actorId: 'user_1', correlationId: 'corr-1' };
    this.streams.set(
      streamId,
      events.map((event, index) =>
        this.stored(streamId, index + 1, { ...event, metadata: { ...metadata, commandId: `given-${index}` } }),
      ),
    );
  }

  events(streamId: string): StoredEvent[] {
    return this.streams.get(streamId) ?? [];
  }

  async readStream(streamId: string): Promise<{ events: StoredEvent[]; version: number }> {
    const events = [...this.events(streamId)];
    return { events, version: events.length };
  }

  async append(streamId: string, events: readonly NewEvent[], options: { expectedVersion?: number | 'no_stream' }) {
    const stream = this.events(streamId);
    const expected = options.expectedVersion === 'no_stream' ? 0 : (options.expectedVersion ?? stream.length);
    if (expected !== stream.length) throw new StreamVersionConflictError(streamId, expected, stream.length);
    const stored = events.map((event, index) => this.stored(streamId, stream.length + index + 1, event));
    this.streams.set(streamId, [...stream, ...stored]);
    for (const event of stored) timeline.push(summary(event));
    return { eventIds: stored.map((event) => event.eventId) };
  }

  private stored(streamId: string, version: number, event: NewEvent): StoredEvent {
    return {
      eventId: event.eventId ?? `${streamId}-${version}`,
      type: event.type,
      schemaVersion: 1,
      streamId,
      streamVersion: version,
      globalPosition: String(version),
      transactionId: '1',
      data: event.data,
      metadata: event.metadata,
      createdAt: requestedAt,
    };
  }
}

const summary = (event: { type: string; data: unknown }) => {
  const server = nameOf((event.data as { serverId?: string }).serverId ?? '');
  return server ? `${event.type} ${server}` : event.type;
};

/** One server's agent: its Docker engine's images and containers, in memory; every call is written down. */
class FakeAgent implements DeploymentAgent {
  readonly images = new Set<string>();
  /** Images here that the platform made for another workspace. */
  readonly imagesOfOthers = new Set<string>();
  containers: { name: string; image: string; createdAt: string }[] = [];
  readonly cutovers: CutoverRequest[] = [];
  /** Cutovers to containers of this name fail their health check. */
  unhealthy?: string;
  /** Builds print these lines, then fail with this error. */
  failingBuild?: { lines: string[]; error: DomainError };

  constructor(private readonly name: ServerName) {}

  async tagImage(body: TagImageRequest): Promise<ImageResult> {
    this.called(`tagImage ${body.source} as ${body.repository}:${body.tag}`);
    if (!this.images.has(body.source)) throw new DomainError('not_found', `no image ${body.source} here`);
    // As the agent does: an image the platform made for another workspace is refused.
    if (this.imagesOfOthers.has(body.source))
      throw new DomainError('forbidden', `the image ${body.source} was made by the platform for another service`);
    this.images.add(`${body.repository}:${body.tag}`);
    return { image: `${body.repository}:${body.tag}`, imageId: 'sha256:1' };
  }

  /** The credentials each pull and push was handed, in order. */
  readonly auths: { call: 'pull' | 'push'; auth: RegistryAuth | undefined }[] = [];

  async pullImage(body: PullImageRequest): Promise<ImageResult> {
    this.called(`pullImage ${body.image}`);
    this.auths.push({ call: 'pull', auth: body.auth });
    this.images.add(body.image);
    return { image: body.image, imageId: 'sha256:1' };
  }

  async pushImage(body: PushImageRequest): Promise<PushImageResult> {
    this.called(`pushImage ${body.source} to ${body.repository}:${body.tag}`);
    this.auths.push({ call: 'push', auth: body.auth });
    return { image: `${body.repository}:${body.tag}`, digest: `sha256:${'a'.repeat(64)}` };
  }

  async buildImage(
    query: BuildImageQuery,
    archive: { path: string; contentType: ArchiveContentType },
    onProgress: (line: BuildProgressLine) => void = () => undefined,
  ): Promise<ImageResult> {
    this.called(`buildImage ${archive.path} as ${query.repository}:${query.tag}`);
    if (this.failingBuild) {
      for (const line of this.failingBuild.lines) onProgress({ type: 'log', message: `${line}\n` });
      throw this.failingBuild.error;
    }
    onProgress({ type: 'log', message: 'Step 1/2 : FROM platform/node:20\n' });
    onProgress({ type: 'log', message: 'Successfully built\n' });
    this.images.add(`${query.repository}:${query.tag}`);
    return { image: `${query.repository}:${query.tag}`, imageId: 'sha256:2' };
  }

  async listContainers(): Promise<ListContainersResponse> {
    this.called('listContainers');
    return {
      containers: this.containers.map((container) => ({
        id: container.name,
        service: key,
        state: 'running',
        port: 8080,
        hostPort: 32000,
        ...container,
      })),
    };
  }

  async cutover(
    body: CutoverRequest,
    onProgress: (line: CutoverProgressLine) => void = () => undefined,
  ): Promise<CutoverResult> {
    const { name, image } = body.container;
    this.called(`cutover to ${name} replacing ${body.replaces ?? 'nothing'}`);
    this.cutovers.push(body);
    inFlight.now += 1;
    inFlight.most = Math.max(inFlight.most, inFlight.now);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight.now -= 1;
    onProgress({ type: 'step', step: 'start', status: 'done', message: name, elapsedMs: 1 });
    if (name === this.unhealthy) {
      onProgress({ type: 'step', step: 'health', status: 'failed', message: 'GET /ready answered 500', elapsedMs: 2 });
      throw new DomainError('unavailable', `container ${name} did not become healthy`);
    }
    onProgress({ type: 'step', step: 'switch', status: 'done', message: 'nginx reloaded', elapsedMs: 3 });
    this.containers = [
      ...this.containers.filter((container) => container.name !== body.replaces),
      { name, image, createdAt: new Date(requestedAt.getTime() + timeline.length).toISOString() },
    ];
    const info = { id: name, name, image, service: key, state: 'running', port: 8080, hostPort: 32001, createdAt: '' };
    return { type: 'result', container: info, replaced: body.replaces ?? null, switchedAfterMs: 700, durationMs: 900 };
  }

  async stopContainer(name: string): Promise<StopContainerResponse> {
    this.called(`stopContainer ${name}`);
    this.containers = this.containers.filter((container) => container.name !== name);
    return { name, stopped: true, removed: true };
  }

  async pruneImages(body: PruneImagesRequest): Promise<PruneImagesResponse> {
    this.called(`pruneImages keep ${body.keep}`);
    return { removed: [], kept: [], skipped: [] };
  }

  private called(call: string) {
    timeline.push(`${this.name} ${call}`);
  }
}

/** This machine's front door: what it was asked to route, in the timeline too (`door open web.localhost → …`). */
class FakeFrontDoor implements ServiceFrontDoor {
  readonly wayIn: WayIn = { url: 'http://web.localhost:8081', address: '127.0.0.1', port: 8081, host: 'web.localhost' };
  routes: (FrontRoute & { deploymentId: string })[] = [];

  async open(route: FrontRoute & { deploymentId: string }): Promise<WayIn> {
    timeline.push(`door open ${route.hostname} → ${route.edges.join(' ')}`);
    this.routes = [...this.routes.filter((r) => r.hostname !== route.hostname), route];
    return this.wayIn;
  }

  async close(id: string, hostname: string): Promise<void> {
    timeline.push(`door close ${hostname}`);
    this.routes = this.routes.filter((r) => r.deploymentId !== id);
  }
}

/**
 * Every way in answers at once unless `unanswered` says what a way in (by URL) answers instead, how many times
 * (forever when undefined). Each probe is in the timeline (`probe http://… /ready`).
 */
function probeWaysIn(unanswered: Record<string, { answer: string; times?: number }> = {}) {
  return async (wayIn: WayIn, path: string): Promise<string | null> => {
    timeline.push(`probe ${wayIn.url} Host ${wayIn.host} at ${wayIn.address}:${wayIn.port}${path}`);
    const failing = unanswered[wayIn.url];
    if (!failing || failing.times === 0) return null;
    if (failing.times !== undefined) failing.times -= 1;
    return failing.answer;
  };
}

// ---------------------------------------------------------------------------------------------------------------

let streams: InMemoryStreams;
let agents: Record<ServerName, FakeAgent>;
let disposed: string[];
/** What the process logged at `warn`. */
let warnings: { details: object; message: string }[];
/** The port the project's platform.json names, when it names one. */
let projectPort: number | undefined;

/** A process as a replica starting now would make it: nothing but the stream and the agents carry over. */
function newProcess(
  now = new Date(requestedAt.getTime() + 90_000),
  waysIn: Pick<DeploymentProcessOptions, 'frontDoor' | 'probe' | 'reachableWithinMs' | 'registry'> = {},
) {
  const sources: SourceArchives = {
    async archiveOf(_workspaceId, source) {
      const path = `/tmp/${source.type}.tar.gz`;
      return {
        path,
        contentType: 'application/gzip',
        notes: ['detected a Node.js app'],
        port: projectPort,
        dispose: async () => void disposed.push(path),
      };
    },
  };
  return new DeploymentProcess({
    agentCa: 'the platform CA (agents are fakes here)',
    store: streams as unknown as EventStore,
    commands: new DeciderCommandHandler({
      store: streams as unknown as EventStore,
      decider: serviceDecider,
      streamIdOf: (command: ServiceCommand) => serviceStreamId((command.data as { serviceId: string }).serviceId),
      events: [...serviceEvents, ...deploymentEvents],
      now: () => now,
    }),
    queries: { inProgress: async () => [] },
    secrets: box,
    sources,
    keepImages: 5,
    deadlineMs,
    logger: {
      info: () => undefined,
      warn: (details, message) => void warnings.push({ details, message }),
      error: () => undefined,
    },
    connectAgent: ({ baseUrl, secret }) => {
      const name = baseUrl.slice('http://agent-'.length, 'http://agent-'.length + 1) as ServerName;
      // The agent is reached with its own secret, opened in its server's context.
      expect(secret).toBe(`secret of ${name}`);
      return agents[name];
    },
    now: () => now,
    probe: probeWaysIn(),
    ...waysIn,
  });
}

/** Given the service's stream holds `events`, and each agent holds the images and runs the container they say. */
function given(events: readonly ServiceEvent[]) {
  streams.given(serviceStreamId(serviceId), events);
  for (const event of events) {
    if (event.type !== 'ImageReady' && event.type !== 'ServerSwitched') continue;
    const agent = agents[nameOf(event.data.serverId) as ServerName];
    agent.images.add(event.data.image);
    if (event.type === 'ServerSwitched') {
      agent.containers = [
        { name: event.data.container, image: event.data.image, createdAt: requestedAt.toISOString() },
      ];
    }
  }
  timeline = [];
}

/** A deployment of an upload to A and B, which share this machine's Docker engine: an image built on A is there for B. */
function givenAnUploadOnAAndB(): ServiceEvent[] {
  const history: ServiceEvent[] = [
    created,
    requested(deploymentId, ['A', 'B'], {
      source: { type: 'upload', uploadId: 'eeeeeeee-0000-4000-8000-000000000001' },
    }),
  ];
  given(history);
  agents.B.images.add(imageOf('A', deploymentId));
  return history;
}

/** The agent calls made, in order (`A cutover to …`), without the events. */
const agentCalls = () => timeline.filter((entry) => /^[ABC] /.test(entry));

/** The events the process appended after the given ones. */
function appended(givenCount: number): { type: string; data: unknown }[] {
  return streams
    .events(serviceStreamId(serviceId))
    .slice(givenCount)
    .map((event) => ({ type: event.type, data: event.data }));
}
const withoutLogs = (events: { type: string; data: unknown }[]) =>
  events.filter((event) => event.type !== 'DeploymentLogged');

beforeEach(() => {
  streams = new InMemoryStreams();
  agents = { A: new FakeAgent('A'), B: new FakeAgent('B'), C: new FakeAgent('C') };
  disposed = [];
  warnings = [];
  projectPort = undefined;
  timeline = [];
  inFlight.now = 0;
  inFlight.most = 0;
});

describe('DeploymentProcess', () => {
  it('gets the image onto every server, then cuts them over batch by batch onto the new version', async () => {
    const history: ServiceEvent[] = [...previousServes, requested(deploymentId, ['A', 'B', 'C'], { batchSize: 2 })];
    given(history);

    await newProcess().advance({ serviceId, deploymentId });

    const events = appended(history.length);
    // Each server pulls the image (not present to tag) before any cuts over.
    expect(withoutLogs(events).slice(0, 3).map(summary).sort()).toEqual([
      'ImageReady A',
      'ImageReady B',
      'ImageReady C',
    ]);
    // A batch of two, then the last one; then the deployment succeeds.
    expect(withoutLogs(events).slice(3, 5).map(summary).sort()).toEqual(['ServerSwitched A', 'ServerSwitched B']);
    expect(withoutLogs(events).slice(5)).toEqual([
      recordedSwitch('C'),
      { type: 'DeploymentSucceeded', data: { deploymentId, durationMs: 90_000 } },
    ]);
    // A and B cut over together; C starts only once both are recorded switched.
    expect(inFlight.most).toBe(2);
    const cutoverOfC = timeline.findIndex((entry) => entry.startsWith('C cutover'));
    expect(cutoverOfC).toBeGreaterThan(timeline.indexOf('ServerSwitched A'));
    expect(cutoverOfC).toBeGreaterThan(timeline.indexOf('ServerSwitched B'));

    for (const server of ['A', 'B', 'C'] as const) {
      expect(timeline.filter((entry) => entry.startsWith(`${server} `))).toEqual([
        `${server} tagImage registry.test/acme/web:2 as ${imageOf(server, deploymentId)}`,
        `${server} pullImage registry.test/acme/web:2`,
        `${server} tagImage registry.test/acme/web:2 as ${imageOf(server, deploymentId)}`,
        `${server} listContainers`,
        `${server} cutover to ${containerOf(server, deploymentId)} replacing ${containerOf(server, previous)}`,
        `${server} pruneImages keep 5`,
      ]);
    }
    // The new container runs the deployment's image, port and environment (opened), behind the service's hostname.
    expect(agents.A.cutovers).toEqual([
      {
        container: {
          name: containerOf('A', deploymentId),
          image: imageOf('A', deploymentId),
          service: key,
          port: 8080,
          env: { PORT: '8080', GREETING: 'bonjour' },
          healthCheck: { path: '/ready', intervalMs: 200, timeoutMs: 2000, retries: 3, startPeriodMs: 15_000 },
        },
        replaces: containerOf('A', previous),
        hostnames: ['web.localhost'],
        healthTimeoutMs: 60_000,
      },
    ]);
    // Each cutover's steps are in the deployment's log, and every step acts for the deployer in the request's name.
    expect(events.filter((event) => event.type === 'DeploymentLogged').map((event) => event.data)).toContainEqual({
      deploymentId,
      serverId: servers.C,
      step: 'cutover',
      lines: [`start: done ${containerOf('C', deploymentId)}`, 'switch: done nginx reloaded'],
    });
    for (const event of streams.events(serviceStreamId(serviceId)).slice(history.length)) {
      expect(event.metadata).toMatchObject({ workspaceId, actorId: 'deployer', correlationId: 'corr-1' });
    }
  });

  it('builds a source once, on the first server, and ships the image to the others', async () => {
    const history = givenAnUploadOnAAndB();

    await newProcess().advance({ serviceId, deploymentId });

    expect(timeline.filter((entry) => / (tagImage|pullImage|buildImage) /.test(entry))).toEqual([
      `A buildImage /tmp/upload.tar.gz as ${imageOf('A', deploymentId)}`,
      `B tagImage ${imageOf('A', deploymentId)} as ${imageOf('B', deploymentId)}`,
    ]);
    const events = appended(history.length);
    expect(events.filter((event) => event.type === 'ImageReady').map((event) => event.data)).toEqual([
      expect.objectContaining({ serverId: servers.A, how: 'built', image: imageOf('A', deploymentId) }),
      expect.objectContaining({ serverId: servers.B, how: 'shipped', image: imageOf('B', deploymentId) }),
    ]);
    expect(events.slice(0, 2)).toEqual([
      {
        type: 'DeploymentLogged',
        data: { deploymentId, serverId: servers.A, step: 'detect', lines: ['detected a Node.js app'] },
      },
      {
        type: 'DeploymentLogged',
        data: {
          deploymentId,
          serverId: servers.A,
          step: 'build',
          lines: ['Step 1/2 : FROM platform/node:20', 'Successfully built'],
        },
      },
    ]);
    expect(disposed).toEqual(['/tmp/upload.tar.gz']);
    expect(events.at(-1)?.type).toBe('DeploymentSucceeded');
  });

  it("runs and routes the app on the port its platform.json names, instead of the service's, and so does a rollback to it", async () => {
    projectPort = 5000;
    const history = givenAnUploadOnAAndB();

    await newProcess().advance({ serviceId, deploymentId });

    expect(agents.A.cutovers.map((cutover) => [cutover.container.port, cutover.container.env?.PORT])).toEqual([
      [5000, '5000'],
    ]);
    expect(agents.B.cutovers.map((cutover) => [cutover.container.port, cutover.container.env?.PORT])).toEqual([
      [5000, '5000'],
    ]);
    const events = appended(history.length);
    expect(events[0]).toEqual({
      type: 'DeploymentLogged',
      data: {
        deploymentId,
        serverId: servers.A,
        step: 'detect',
        lines: [
          'detected a Node.js app',
          "platform.json says the app listens on port 5000: it runs with PORT=5000 and is routed there, instead of the service's port 8080",
        ],
      },
    });
    expect(events.at(-1)?.type).toBe('DeploymentSucceeded');

    // Going back to that version later runs its image on its port again, whatever the service says then.
    const rollbackId = 'bbbbbbbb-0000-4000-8000-00000000000b';
    const later = [...history, ...events] as ServiceEvent[];
    const rollback = serviceDecider.decide(
      {
        type: 'RollbackDeployment',
        data: { deploymentId: rollbackId, serviceId, rollbackOf: deploymentId, targets: [target('A')] },
      },
      later.reduce((state, event) => serviceDecider.evolve(state, event), serviceDecider.initialState()),
      { metadata: { workspaceId } as never, now: requestedAt },
    );
    expect(rollback).toEqual([expect.objectContaining({ data: expect.objectContaining({ port: 5000 }) })]);
  });

  it('fails a deployment of an image the platform made for another workspace, saying why, without pulling one of that name', async () => {
    const theirs = 'srv-aaaaaaaa/svc-bbbbbbbb:deploy_cccccccc';
    const history: ServiceEvent[] = [
      created,
      requested(deploymentId, ['A'], { source: { type: 'image', image: theirs } }),
    ];
    given(history);
    agents.A.images.add(theirs);
    agents.A.imagesOfOthers.add(theirs);

    await newProcess().advance({ serviceId, deploymentId });

    expect(timeline.filter((entry) => / (tagImage|pullImage|buildImage) /.test(entry))).toEqual([
      `A tagImage ${theirs} as ${imageOf('A', deploymentId)}`,
    ]);
    expect(appended(history.length).at(-1)).toMatchObject({
      type: 'DeploymentFailed',
      data: { reason: expect.stringContaining(`the image ${theirs} was made by the platform for another service`) },
    });
  });

  it("keeps every line of a failed build in the deployment's log, and fails it with the agent's reason", async () => {
    const history: ServiceEvent[] = [
      created,
      requested(deploymentId, ['A'], { source: { type: 'upload', uploadId: 'eeeeeeee-0000-4000-8000-000000000001' } }),
    ];
    given(history);
    const output = Array.from({ length: 250 }, (_, i) => `> compiling module ${i}`);
    const compileError = "src/main.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.";
    const reason = `build failed: npm run build exited 1:\n${output.at(-1)}\n${compileError}`;
    agents.A.failingBuild = {
      lines: ['Step 5/6 : RUN npm run build', ...output, compileError],
      error: new DomainError('validation_failed', reason),
    };

    await newProcess().advance({ serviceId, deploymentId });

    const events = appended(history.length);
    const buildLines = events
      .filter((event) => event.type === 'DeploymentLogged')
      .flatMap((event) => {
        const logged = event.data as { step: string; lines: string[] };
        return logged.step === 'build' ? logged.lines : [];
      });
    expect(buildLines).toEqual(['Step 5/6 : RUN npm run build', ...output, compileError]);
    const failedReason = `server ${servers.A}: the image could not be prepared: ${reason}`;
    expect(events.at(-1)).toEqual({
      type: 'DeploymentFailed',
      data: { deploymentId, serverId: servers.A, reason: failedReason, durationMs: 90_000 },
    });
    expect(disposed).toEqual(['/tmp/upload.tar.gz']);
    // The platform's own log says so too, for whoever runs it.
    expect(warnings).toContainEqual({
      details: { deploymentId, serviceId, service: 'web', reason: failedReason },
      message: 'deployment failed',
    });
  });

  describe('when a server fails to cut over', () => {
    const readyEverywhere: ServiceEvent[] = [
      ...previousServes,
      requested(deploymentId, ['A', 'B', 'C']),
      imageReady(deploymentId, 'A'),
      imageReady(deploymentId, 'B'),
      imageReady(deploymentId, 'C'),
    ];

    it('stops the rollout and puts the servers already switched back on the previous version', async () => {
      given(readyEverywhere);
      agents.B.unhealthy = containerOf('B', deploymentId);
      const back = `${containerOf('A', deploymentId)}-back`;

      await newProcess().advance({ serviceId, deploymentId });

      const reason = `container ${containerOf('B', deploymentId)} did not become healthy`;
      expect(appended(readyEverywhere.length)).toEqual([
        {
          type: 'DeploymentLogged',
          data: {
            deploymentId,
            serverId: servers.A,
            step: 'cutover',
            lines: [`start: done ${containerOf('A', deploymentId)}`, 'switch: done nginx reloaded'],
          },
        },
        recordedSwitch('A'),
        {
          type: 'DeploymentLogged',
          data: {
            deploymentId,
            serverId: servers.B,
            step: 'cutover',
            lines: [`start: done ${containerOf('B', deploymentId)}`, 'health: failed GET /ready answered 500'],
          },
        },
        { type: 'ServerDeployFailed', data: { deploymentId, serverId: servers.B, reason } },
        { type: 'ServerRolledBack', data: { deploymentId, serverId: servers.A, container: back, reason: null } },
        {
          type: 'DeploymentFailed',
          data: { deploymentId, serverId: servers.B, reason: `server ${servers.B}: ${reason}`, durationMs: 90_000 },
        },
      ]);
      // C is never touched; A goes back to the previous image, replacing the container it just started.
      expect(agentCalls()).toEqual([
        'A listContainers',
        `A cutover to ${containerOf('A', deploymentId)} replacing ${containerOf('A', previous)}`,
        'B listContainers',
        `B cutover to ${containerOf('B', deploymentId)} replacing ${containerOf('B', previous)}`,
        'A listContainers',
        `A cutover to ${back} replacing ${containerOf('A', deploymentId)}`,
      ]);
      // With the previous deployment's port, health check and environment, not the failed one's.
      expect(agents.A.cutovers[1]).toMatchObject({
        container: {
          name: back,
          image: imageOf('A', previous),
          port: 3000,
          env: { PORT: '3000', GREETING: 'hello' },
          healthCheck: { path: '/health' },
        },
        hostnames: ['web.localhost'],
      });
      expect(agents.A.containers.map((container) => container.image)).toEqual([imageOf('A', previous)]);

      // The deployment has ended: carrying it on again does nothing.
      timeline = [];
      await newProcess().advance({ serviceId, deploymentId });
      expect(timeline).toEqual([]);
    });

    it("stops what the deployment started where nothing ran before it (a service's first deployment)", async () => {
      const history: ServiceEvent[] = [
        created,
        requested(deploymentId, ['A', 'B']),
        imageReady(deploymentId, 'A'),
        imageReady(deploymentId, 'B'),
      ];
      given(history);
      agents.B.unhealthy = containerOf('B', deploymentId);

      await newProcess().advance({ serviceId, deploymentId });

      expect(withoutLogs(appended(history.length)).map(summary)).toEqual([
        'ServerSwitched A',
        'ServerDeployFailed B',
        'ServerRolledBack A',
        'DeploymentFailed B',
      ]);
      expect(withoutLogs(appended(history.length))[2].data).toEqual({
        deploymentId,
        serverId: servers.A,
        container: null,
        reason: null,
      });
      expect(timeline.filter((entry) => entry.startsWith('A '))).toEqual([
        'A listContainers',
        `A cutover to ${containerOf('A', deploymentId)} replacing nothing`,
        `A stopContainer ${containerOf('A', deploymentId)}`,
      ]);
      expect(agents.A.containers).toEqual([]);
    });

    it('records a server it could not put back, with why, and still ends the deployment failed', async () => {
      given(readyEverywhere);
      agents.B.unhealthy = containerOf('B', deploymentId);
      agents.A.unhealthy = `${containerOf('A', deploymentId)}-back`;

      await newProcess().advance({ serviceId, deploymentId });

      const events = withoutLogs(appended(readyEverywhere.length));
      expect(events.slice(2)).toEqual([
        {
          type: 'ServerRolledBack',
          data: {
            deploymentId,
            serverId: servers.A,
            container: `${containerOf('A', deploymentId)}-back`,
            reason: `rolling back failed: container ${containerOf('A', deploymentId)}-back did not become healthy`,
          },
        },
        expect.objectContaining({ type: 'DeploymentFailed' }),
      ]);
    });
  });

  describe('succeeds only when the service answers through its ways in', () => {
    const switchedEverywhere: ServiceEvent[] = [
      ...previousServes,
      requested(deploymentId, ['A', 'B']),
      imageReady(deploymentId, 'A'),
      imageReady(deploymentId, 'B'),
    ];
    const doorUrl = 'http://web.localhost:8081';
    const edgeOf = (server: ServerName) => `http://web.localhost on the edge of server ${servers[server]}`;

    it('routes the front door to the switched servers, then waits until the door and every edge answer', async () => {
      given(switchedEverywhere);
      const door = new FakeFrontDoor();
      const probe = probeWaysIn({ [doorUrl]: { answer: 'GET /ready answered 404 no app answers', times: 2 } });

      await newProcess(undefined, { frontDoor: door, probe }).advance({ serviceId, deploymentId });

      const steps = timeline.filter((entry) => /^(door|probe|ServerSwitched|DeploymentSucceeded)/.test(entry));
      expect(steps.slice(0, 3)).toEqual([
        'ServerSwitched A',
        'ServerSwitched B',
        `door open web.localhost → ${target('A').publicIp}:80 ${target('B').publicIp}:80`,
      ]);
      // The door is asked for the health check path with the service's Host until it answers, each edge too.
      const doorProbe = `probe ${doorUrl} Host web.localhost at 127.0.0.1:8081/ready`;
      expect(steps.filter((entry) => entry === doorProbe)).toHaveLength(3);
      for (const server of ['A', 'B'] as const) {
        expect(steps).toContain(`probe ${edgeOf(server)} Host web.localhost at ${target(server).publicIp}:80/ready`);
      }
      expect(steps.at(-1)).toBe('DeploymentSucceeded');
      expect(steps.lastIndexOf(doorProbe)).toBeLessThan(steps.indexOf('DeploymentSucceeded'));
      expect(door.routes).toEqual([
        {
          deploymentId,
          workspaceId,
          serviceName: 'web',
          hostname: 'web.localhost',
          edges: [`${target('A').publicIp}:80`, `${target('B').publicIp}:80`],
        },
      ]);
    });

    it('fails the deployment, saying where the app is not reachable and why, and puts every server back', async () => {
      given(switchedEverywhere);
      const door = new FakeFrontDoor();
      const probe = probeWaysIn({ [doorUrl]: { answer: 'GET /ready answered 404 no app answers on this hostname' } });

      await newProcess(undefined, { frontDoor: door, probe, reachableWithinMs: 50 }).advance({
        serviceId,
        deploymentId,
      });

      const reason = `the app is not reachable at ${doorUrl} within 0.05 s: GET /ready answered 404 no app answers on this hostname`;
      const events = withoutLogs(appended(switchedEverywhere.length));
      expect(events.map(summary)).toEqual([
        'ServerSwitched A',
        'ServerSwitched B',
        'ServerDeployFailed A',
        'ServerRolledBack A',
        'ServerRolledBack B',
        'DeploymentFailed A',
      ]);
      expect(events.at(-1)?.data).toMatchObject({ reason: `server ${servers.A}: ${reason}` });
      // Both servers run the previous version again, and the door no longer routes for the failed deployment.
      for (const server of ['A', 'B'] as const) {
        expect(agents[server].containers.map((container) => container.image)).toEqual([imageOf(server, previous)]);
      }
      expect(timeline).toContain('door close web.localhost');
      expect(door.routes).toEqual([]);
    });

    it("asks each server's edge with the service's Host where there is no front door", async () => {
      given(switchedEverywhere);
      const probe = probeWaysIn({ [edgeOf('B')]: { answer: 'GET /ready failed: connect ECONNREFUSED' } });

      await newProcess(undefined, { probe, reachableWithinMs: 50 }).advance({ serviceId, deploymentId });

      expect(withoutLogs(appended(switchedEverywhere.length)).at(-1)?.data).toMatchObject({
        serverId: servers.B,
        reason: `server ${servers.B}: the app is not reachable at ${edgeOf('B')} within 0.05 s: GET /ready failed: connect ECONNREFUSED`,
      });
    });
  });

  describe('when the process restarts mid-deployment', () => {
    it('carries a rollout on from its last event: no image fetched again, no server switched twice', async () => {
      const history: ServiceEvent[] = [
        ...previousServes,
        requested(deploymentId, ['A', 'B', 'C']),
        imageReady(deploymentId, 'A'),
        imageReady(deploymentId, 'B'),
        imageReady(deploymentId, 'C'),
        switched(deploymentId, 'A'),
      ];
      given(history);

      await newProcess().advance({ serviceId, deploymentId });

      expect(withoutLogs(appended(history.length))).toEqual([
        recordedSwitch('B'),
        recordedSwitch('C'),
        { type: 'DeploymentSucceeded', data: { deploymentId, durationMs: 90_000 } },
      ]);
      expect(timeline.filter((entry) => / (cutover|tagImage|pullImage|buildImage) /.test(entry))).toEqual([
        `B cutover to ${containerOf('B', deploymentId)} replacing ${containerOf('B', previous)}`,
        `C cutover to ${containerOf('C', deploymentId)} replacing ${containerOf('C', previous)}`,
      ]);
    });

    it('carries a rollback on from its last event: a server already put back is left alone', async () => {
      const history: ServiceEvent[] = [
        ...previousServes,
        requested(deploymentId, ['A', 'B', 'C']),
        imageReady(deploymentId, 'A'),
        imageReady(deploymentId, 'B'),
        imageReady(deploymentId, 'C'),
        switched(deploymentId, 'A'),
        switched(deploymentId, 'B'),
        { type: 'ServerDeployFailed', data: { deploymentId, serverId: servers.C, reason: 'unhealthy' } },
        {
          type: 'ServerRolledBack',
          data: {
            deploymentId,
            serverId: servers.A,
            container: `${containerOf('A', deploymentId)}-back`,
            reason: null,
          },
        },
      ];
      given(history);

      await newProcess().advance({ serviceId, deploymentId });

      expect(appended(history.length)).toEqual([
        {
          type: 'ServerRolledBack',
          data: {
            deploymentId,
            serverId: servers.B,
            container: `${containerOf('B', deploymentId)}-back`,
            reason: null,
          },
        },
        {
          type: 'DeploymentFailed',
          data: { deploymentId, serverId: servers.C, reason: `server ${servers.C}: unhealthy`, durationMs: 90_000 },
        },
      ]);
      expect(agentCalls()).toEqual([
        'B listContainers',
        `B cutover to ${containerOf('B', deploymentId)}-back replacing ${containerOf('B', deploymentId)}`,
      ]);
    });

    it('fails a deployment past its deadline at the first server not switched, and rolls back the others', async () => {
      const history: ServiceEvent[] = [
        ...previousServes,
        requested(deploymentId, ['A', 'B']),
        imageReady(deploymentId, 'A'),
        imageReady(deploymentId, 'B'),
        switched(deploymentId, 'A'),
      ];
      given(history);

      await newProcess(new Date(requestedAt.getTime() + deadlineMs + 1)).advance({ serviceId, deploymentId });

      const reason = `the deployment did not finish within ${deadlineMs / 1000} s`;
      expect(appended(history.length)).toEqual([
        { type: 'ServerDeployFailed', data: { deploymentId, serverId: servers.B, reason } },
        {
          type: 'ServerRolledBack',
          data: {
            deploymentId,
            serverId: servers.A,
            container: `${containerOf('A', deploymentId)}-back`,
            reason: null,
          },
        },
        {
          type: 'DeploymentFailed',
          data: {
            deploymentId,
            serverId: servers.B,
            reason: `server ${servers.B}: ${reason}`,
            durationMs: deadlineMs + 1,
          },
        },
      ]);
      expect(timeline.filter((entry) => / cutover /.test(entry))).toEqual([
        `A cutover to ${containerOf('A', deploymentId)}-back replacing ${containerOf('A', deploymentId)}`,
      ]);
    });
  });
});

describe('DeploymentProcess through a registry', () => {
  let registryDir: string;
  let registry: SelfHostedRegistry;
  const digest = `sha256:${'a'.repeat(64)}`;
  /** What a registry token allows (its claims are not secret; its signature is what the registry checks). */
  const accessOf = (auth: RegistryAuth | undefined) =>
    (
      JSON.parse(Buffer.from(String(auth?.registrytoken).split('.')[1], 'base64url').toString()) as {
        access: { name: string; actions: string[] }[];
      }
    ).access;

  beforeAll(async () => {
    registryDir = await mkdtemp(join(tmpdir(), 'process-registry-'));
    // Only its tokens are used here: it is not started.
    registry = await SelfHostedRegistry.open({
      dir: registryDir,
      address: '198.51.100.7',
      port: 5443,
      ca: (await PlatformCertificateAuthority.generate()).ca,
      secrets: box,
    });
  });
  afterAll(() => rm(registryDir, { recursive: true, force: true }));

  const repository = () => registry.repositoryOf(workspaceId, key);

  it('builds and pushes once on the first server, then every server pulls the digest with a pull-only token', async () => {
    const history: ServiceEvent[] = [
      created,
      requested(deploymentId, ['A', 'B', 'C'], {
        source: { type: 'upload', uploadId: 'eeeeeeee-0000-4000-8000-000000000001' },
      }),
    ];
    given(history);

    await newProcess(undefined, { registry }).advance({ serviceId, deploymentId });

    const calls = agentCalls().filter((call) => /buildImage|pushImage|pullImage/.test(call));
    expect(calls).toEqual([
      `A buildImage /tmp/upload.tar.gz as ${imageOf('A', deploymentId)}`,
      `A pushImage ${imageOf('A', deploymentId)} to ${repository()}:${deployTag(deploymentId)}`,
      `A pullImage ${repository()}@${digest}`,
      `B pullImage ${repository()}@${digest}`,
      `C pullImage ${repository()}@${digest}`,
    ]);
    expect(accessOf(agents.A.auths[0].auth)).toEqual([
      { type: 'repository', name: repository().split('/').slice(1).join('/'), actions: ['pull', 'push'] },
    ]);
    for (const agent of [agents.A, agents.B, agents.C]) {
      expect(accessOf(agent.auths.at(-1)?.auth).map((access) => access.actions)).toEqual([['pull']]);
    }
    const ready = appended(history.length).filter((event) => event.type === 'ImageReady');
    expect(ready.map((event) => (event.data as { registryImage?: unknown }).registryImage)).toEqual(
      [1, 2, 3].map(() => ({ repository: repository(), digest })),
    );
    // Tokens stay out of the events.
    expect(JSON.stringify(appended(history.length))).not.toContain(String(agents.A.auths[0].auth?.registrytoken));
  });

  it('rolls back onto a server that never ran the version by pulling the digest it recorded, building nothing', async () => {
    const rollback = 'dddddddd-0000-4000-8000-000000000003';
    const recorded = { repository: repository(), digest };
    const history: ServiceEvent[] = [
      created,
      requested(previous, ['A'], { settings: settingsBefore }),
      {
        type: 'ImageReady',
        data: { ...(imageReady(previous, 'A').data as object), registryImage: recorded },
      } as ServiceEvent,
      switched(previous, 'A'),
      { type: 'DeploymentSucceeded', data: { deploymentId: previous, durationMs: 4000 } },
      {
        ...requested(rollback, ['A', 'C']),
        data: { ...(requested(rollback, ['A', 'C']).data as object), rollbackOf: previous },
      } as ServiceEvent,
    ];
    given(history);

    await newProcess(undefined, { registry }).advance({ serviceId, deploymentId: rollback });

    expect(agentCalls().filter((call) => /buildImage|pushImage|pullImage/.test(call))).toEqual([
      `A pullImage ${repository()}@${digest}`,
      `C pullImage ${repository()}@${digest}`,
    ]);
    expect(appended(history.length).map((event) => event.type)).toContain('DeploymentSucceeded');
  });

  it('rolls back to a version deployed before images went through the registry with the image servers kept', async () => {
    const rollback = 'dddddddd-0000-4000-8000-000000000004';
    const history: ServiceEvent[] = [
      created,
      requested(previous, ['A'], { settings: settingsBefore }),
      imageReady(previous, 'A'),
      switched(previous, 'A'),
      { type: 'DeploymentSucceeded', data: { deploymentId: previous, durationMs: 4000 } },
      {
        ...requested(rollback, ['A']),
        data: { ...(requested(rollback, ['A']).data as object), rollbackOf: previous },
      } as ServiceEvent,
    ];
    given(history);

    await newProcess(undefined, { registry }).advance({ serviceId, deploymentId: rollback });

    expect(agentCalls().filter((call) => /buildImage|pushImage|pullImage|tagImage/.test(call))).toEqual([
      `A tagImage ${imageOf('A', previous)} as ${imageOf('A', rollback)}`,
    ]);
    expect(appended(history.length).map((event) => event.type)).toContain('DeploymentSucceeded');
  });
});
