import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '@platform/bus';
import { LocalCloudProvider } from '@platform/cloud';
import { LocalFrontProxy } from '@platform/deployments';
import { DropletAgents, FakeCloudflare, FakeDigitalOcean } from '@platform/cloud/testing';
import {
  createTestSchema,
  eventually,
  freePort,
  spawnTypeScript,
  stopProcess,
  testServices,
  uniqueName,
  type TestSchema,
} from '@platform/testing';
import { startGateway, type RunningGateway } from './start-gateway';

/** Fakes of DigitalOcean and Cloudflare (held to their official documents), droplets running real agents on loopback. */
export interface CloudFakes {
  readonly digitalOcean: FakeDigitalOcean;
  readonly cloudflare: FakeCloudflare;
  readonly agents: DropletAgents;
  /** The provisioner's settings that point it at the fakes (the third argument of startStack). */
  readonly provisionerSettings: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startCloudFakes(): Promise<CloudFakes> {
  const [digitalOcean, cloudflare, agentPort] = await Promise.all([
    FakeDigitalOcean.start(),
    FakeCloudflare.start(),
    freePort(),
  ]);
  const agents = new DropletAgents(digitalOcean, agentPort);
  return {
    digitalOcean,
    cloudflare,
    agents,
    provisionerSettings: {
      DIGITALOCEAN_API_URL: digitalOcean.url,
      CLOUDFLARE_API_URL: cloudflare.url,
      DIGITALOCEAN_AGENT_PORT: String(agentPort),
      PLATFORM_PUBLIC_ADDRESS: '127.0.0.1',
      // Never downloaded: the fake droplets run the agent from this repository.
      AGENT_RELEASE_URL: 'https://127.0.0.1:9/platform-agent.tar.gz',
      AGENT_RELEASE_SHA256: 'a'.repeat(64),
    },
    async close() {
      await agents.stopAll();
      await Promise.all([digitalOcean.close(), cloudflare.close()]);
    },
  };
}

/** Runs a service app as its own process, as in production, and waits for its /readyz. */
async function spawnService(app: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const port = await freePort();
  return spawnTypeScript(
    `apps/${app}/src/main.ts`,
    { ...env, HTTP_PORT: String(port) },
    `http://127.0.0.1:${port}/readyz`,
  );
}

export interface Stack {
  readonly gateway: RunningGateway;
  /** The gateway's settings, to start another one beside it with a change. */
  readonly gatewayEnv: NodeJS.ProcessEnv;
  readonly deployer: ChildProcess;
  /** The webhooks service, when the stack was asked for it (StackOptions.webhooks). */
  readonly webhooks: ChildProcess | undefined;
  restartWebhooks(kill?: 'SIGKILL'): Promise<void>;
  readonly provisioner: ChildProcess;
  /** The dns service (domains), with the environment it was started with. */
  readonly dns: ChildProcess;
  readonly dnsEnv: NodeJS.ProcessEnv;
  restartDns(kill?: 'SIGKILL'): Promise<void>;
  /** Environment of the provisioner, to restart it the same way. */
  readonly provisionerEnv: NodeJS.ProcessEnv;
  /** Environment of the deployer (its CA file and secret key open what it made). */
  readonly deployerEnv: NodeJS.ProcessEnv;
  restartProvisioner(kill?: 'SIGKILL'): Promise<void>;
  restartDeployer(kill?: 'SIGKILL'): Promise<void>;
  readonly db: TestSchema;
  readonly schemas: {
    identity: string;
    gateway: string;
    deployments: string;
    servers: string;
    dns: string;
    webhooks: string;
  };
  readonly prefix: string;
  readonly api: ApiClient;
  /** This machine's front door, run by the deployer as under `npm start`, on a port of its own. */
  readonly frontDoor: { readonly address: string; readonly port: number };
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Runs the webhooks service too, with these settings on top of the stack's (loopback endpoints allowed). */
  readonly webhooks?: NodeJS.ProcessEnv;
  /** Settings of the dns service on top of the stack's. */
  readonly dns?: NodeJS.ProcessEnv;
  /** Settings of the deployer on top of the stack's (the registry e2e runs it with a registry). */
  readonly deployer?: NodeJS.ProcessEnv;
}

/** The gateway and the deployer in this process, on the real PostgreSQL, NATS and Redis, in a namespace of their own. */
export async function startStack(
  label: string,
  gatewayEnv: NodeJS.ProcessEnv = {},
  provisionerSettings: NodeJS.ProcessEnv = {},
  options: StackOptions = {},
): Promise<Stack> {
  const db = createTestSchema(label);
  const prefix = uniqueName(label);
  const schemas = {
    identity: `${db.schema}_id`,
    gateway: `${db.schema}_gw`,
    deployments: `${db.schema}_dep`,
    servers: `${db.schema}_srv`,
    dns: `${db.schema}_dns`,
    webhooks: `${db.schema}_wh`,
  };
  const common = {
    DATABASE_URL: testServices.databaseUrl,
    NATS_URL: testServices.natsUrl,
    NATS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
  };
  const serversRoot = await mkdtemp(join(tmpdir(), `platform-${label}-servers-`));
  const uploadsDir = await mkdtemp(join(tmpdir(), `platform-${label}-uploads-`));
  const frontDoorDir = await mkdtemp(join(tmpdir(), `platform-${label}-front-`));
  const frontDoor = { address: '127.0.0.1', port: await freePort() };
  // One key for the whole stack: the gateway and the provisioner seal what the deployer opens.
  const secretKey = randomBytes(32).toString('hex');
  // The stack's CA, made by whichever of the provisioner and the deployer starts first.
  const caFile = join(serversRoot, 'platform-ca.json');
  const provisionerEnv = {
    ...common,
    DATABASE_SCHEMA: schemas.servers,
    REPLICA_ID: `${label}-provisioner`,
    PLATFORM_SECRET_KEY: secretKey,
    PLATFORM_CA_FILE: caFile,
    LOCAL_SERVERS_ROOT: serversRoot,
    PROVISION_POLL_MS: '200',
    // Tests talk to loopback only: a test that needs a cloud points these at its fake.
    DIGITALOCEAN_API_URL: 'http://127.0.0.1:9',
    CLOUDFLARE_API_URL: 'http://127.0.0.1:9/client/v4',
    ...provisionerSettings,
  };
  const deployerEnv = {
    ...common,
    DATABASE_SCHEMA: schemas.deployments,
    REPLICA_ID: `${label}-deployer`,
    PLATFORM_SECRET_KEY: secretKey,
    PLATFORM_CA_FILE: caFile,
    UPLOADS_DIR: uploadsDir,
    DEPLOY_POLL_MS: '200',
    DEPLOY_HEALTH_TIMEOUT_MS: '20000',
    LOCAL_FRONT_DOOR_DIR: frontDoorDir,
    LOCAL_FRONT_DOOR_PORT: String(frontDoor.port),
    ...options.deployer,
  };
  const dnsEnv = {
    ...common,
    DATABASE_SCHEMA: schemas.dns,
    REPLICA_ID: `${label}-dns`,
    PLATFORM_SECRET_KEY: secretKey,
    PLATFORM_CA_FILE: caFile,
    DNS_POLL_MS: '200',
    CLOUDFLARE_API_URL: provisionerEnv.CLOUDFLARE_API_URL,
    ...options.dns,
  };
  const webhooksEnv = options.webhooks && {
    ...common,
    DATABASE_SCHEMA: schemas.webhooks,
    REPLICA_ID: `${label}-webhooks`,
    PLATFORM_SECRET_KEY: secretKey,
    WEBHOOKS_ALLOW_LOOPBACK_HTTP: 'true',
    WEBHOOKS_POLL_MS: '100',
    ...options.webhooks,
  };
  const [firstDeployer, firstProvisioner, firstDns, firstWebhooks] = await Promise.all([
    spawnService('deployer', deployerEnv),
    spawnService('provisioner', provisionerEnv),
    spawnService('dns', dnsEnv),
    webhooksEnv && spawnService('webhooks', webhooksEnv),
  ]);
  let provisioner = firstProvisioner;
  let deployer = firstDeployer;
  let dns = firstDns;
  let webhooks = firstWebhooks;
  const gatewaySettings = {
    ...common,
    GATEWAY_PORT: '0',
    IDENTITY_SCHEMA: schemas.identity,
    GATEWAY_SCHEMA: schemas.gateway,
    REDIS_URL: testServices.redisUrl,
    REDIS_PREFIX: `${prefix}:`,
    PLATFORM_SECRET_KEY: secretKey,
    UPLOADS_DIR: uploadsDir,
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    API_RATE_LIMIT_PER_MINUTE: '100000',
    SSE_HEARTBEAT_MS: '500',
    // A development instance, where everyone is trusted: tests sign many people up, each with local servers.
    // A test of the instance's policies sets these itself (see attacker/access.e2e.spec.ts).
    SIGNUP: 'open',
    LOCAL_SERVERS_WORKSPACES: '*',
    // Nothing consumes a stack's request metrics: apps/gateway/src/metrics.e2e.spec.ts turns them on.
    METRICS_CAPTURE: 'off',
    // Tests receive webhooks on loopback, as a development instance may.
    WEBHOOKS_ALLOW_LOOPBACK_HTTP: 'true',
    ...gatewayEnv,
  };
  const gateway = await startGateway({ handleSignals: false, env: gatewaySettings });
  return {
    gateway,
    gatewayEnv: gatewaySettings,
    get deployer() {
      return deployer;
    },
    async restartDeployer(kill?: 'SIGKILL') {
      if (kill) deployer.kill(kill);
      await stopProcess(deployer);
      deployer = await spawnService('deployer', deployerEnv);
    },
    get provisioner() {
      return provisioner;
    },
    get dns() {
      return dns;
    },
    dnsEnv,
    async restartDns(kill?: 'SIGKILL') {
      if (kill) dns.kill(kill);
      await stopProcess(dns);
      dns = await spawnService('dns', dnsEnv);
    },
    get webhooks() {
      return webhooks;
    },
    async restartWebhooks(kill?: 'SIGKILL') {
      if (!webhooks || !webhooksEnv) throw new Error('this stack runs no webhooks service (StackOptions.webhooks)');
      if (kill) webhooks.kill(kill);
      await stopProcess(webhooks);
      webhooks = await spawnService('webhooks', webhooksEnv);
    },
    provisionerEnv,
    deployerEnv,
    async restartProvisioner(kill?: 'SIGKILL') {
      if (kill) provisioner.kill(kill);
      await stopProcess(provisioner);
      provisioner = await spawnService('provisioner', provisionerEnv);
    },
    db,
    schemas,
    prefix,
    api: new ApiClient(gateway.url),
    frontDoor,
    async stop() {
      await gateway.stop();
      await Promise.all([
        stopProcess(deployer),
        stopProcess(provisioner),
        stopProcess(dns),
        webhooks && stopProcess(webhooks),
      ]);
      // The deployer leaves the front door's nginx up (apps keep opening across its restarts).
      await new LocalFrontProxy(frontDoorDir, frontDoor).stop();
      await rm(frontDoorDir, { recursive: true, force: true });
      // Local servers are processes of their own (agent, nginx): remove every one this stack made.
      const servers = new LocalCloudProvider({ root: serversRoot });
      for (const server of await servers.listServers()) await servers.deleteServer(server.id);
      await rm(serversRoot, { recursive: true, force: true });
      await rm(uploadsDir, { recursive: true, force: true });
      const cleanup = await Bus.connect({ servers: testServices.natsUrl, prefix });
      for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const) {
        await cleanup.manager.streams.delete(cleanup.subjects.stream(stream)).catch(() => undefined);
      }
      await cleanup.close();
      for (const schema of Object.values(schemas)) await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.dispose();
    },
  };
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, for malformed bodies. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * A local server of the caller's workspace, once it is ready (a loaded machine takes a while to start one).
   * The caller needs local servers allowed (the test stacks set LOCAL_SERVERS_WORKSPACES=*).
   */
  async readyLocalServer(token: string, name: string): Promise<{ serverId: string; publicIp: string }> {
    const created = await this.request<{ serverId: string }>('POST', '/v1/servers', {
      token,
      body: { provider: 'local', name },
    });
    if (created.status !== 202)
      throw new Error(`server not created: ${created.status} ${JSON.stringify(created.body)}`);
    const { serverId } = created.body;
    return eventually(async () => {
      const view = await this.request<{ status: string; publicIp: string }>('GET', `/v1/servers/${serverId}`, {
        token,
      });
      expect(view.body.status).toBe('ready');
      return { serverId, publicIp: view.body.publicIp };
    }, 180_000);
  }

  /** Signs a new user up with a workspace of their own; returns their session token and ids. */
  async signup(label: string) {
    const email = `${label}-${Math.random().toString(36).slice(2)}@example.com`;
    const password = 'correct horse battery staple';
    const response = await this.request<{ token: string; user: { id: string }; workspace: { id: string } }>(
      'POST',
      '/v1/auth/signup',
      {
        body: { email, password, workspaceName: `${label}'s workspace` },
      },
    );
    if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${JSON.stringify(response.body)}`);
    return {
      email,
      password,
      token: response.body.token,
      userId: response.body.user.id,
      workspaceId: response.body.workspace.id,
    };
  }
}

/** The body of a deploy config to create, from a git source, for servers that need not exist. */
export function deployConfigFields(name: string) {
  return {
    name,
    serviceId: randomUUID(),
    source: { type: 'git', url: 'https://github.com/acme/web.git', ref: 'main' },
    serverIds: [randomUUID()],
  };
}

export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** A `GET /v1/events` reader that collects events until closed. */
export class EventStreamReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  static async open(
    baseUrl: string,
    token: string,
    query = '',
    lastEventId?: string,
    headers: Record<string, string> = {},
  ): Promise<EventStreamReader> {
    const reader = new EventStreamReader();
    const response = await fetch(`${baseUrl}/v1/events${query}`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        ...headers,
      },
      signal: reader.abort.signal,
    });
    reader.status = response.status;
    if (response.ok && response.body) reader.done = reader.consume(response.body);
    else await response.body?.cancel();
    return reader;
  }

  private async consume(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
            }
          }
          if (fields.data !== undefined) this.events.push({ id: fields.id, event: fields.event, data: fields.data });
        }
      }
    } catch {
      // Aborted by close().
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
