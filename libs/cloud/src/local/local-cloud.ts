import { randomUUID } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { z } from 'zod';
import { AgentClient } from '@platform/agent-client';
import { agentServerName, generateAgentSecret, readSecretFile, writeSecretFile } from '@platform/agent-protocol';
import { AGENT_VERSION, AgentLabels, DomainError } from '@platform/contracts';
import type { PlatformCertificateAuthority } from '@platform/secrets';
import {
  MANAGED_SERVER_TAG,
  type CloudProvider,
  type CloudServer,
  type CreatedServer,
  type ServerRequest,
} from '../cloud-provider';
import { LoopbackLeases } from './loopback-leases';
import { isAlive, processStartTime, stopProcess, type ProcessIdentity } from './processes';

const REPOSITORY_ROOT = resolve(__dirname, '../../../..');

const agentUrlOf = (state: { address: string; agentPort: number }) => `https://${state.address}:${state.agentPort}`;

export interface LocalCloudOptions {
  /**
   * Issues each agent's certificate, for its loopback address; agent clients trust it alone. Needed to create
   * or start servers; a provider that only lists and deletes them (a clean-up) goes without.
   */
  readonly ca?: PlatformCertificateAuthority;
  /** Where each server keeps its directory (secret, agent log, nginx prefix, routes). */
  readonly root?: string;
  /** Loopback hosts to hand out: 127.0.0.<first> … 127.0.0.<last>. */
  readonly hosts?: { readonly first: number; readonly last: number };
  readonly agentPort?: number;
  readonly edgeHttpPort?: number;
  readonly edgeHttpsPort?: number;
  /** How to run an agent; by default the agent app from this repository's sources. */
  readonly agentCommand?: { readonly command: string; readonly args: readonly string[]; readonly cwd: string };
  readonly dockerSocket?: string;
  readonly readyTimeoutMs?: number;
  /** Machine-wide, so that providers with different roots never share an address. */
  readonly leasesDir?: string;
}

const ServerStateSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  address: z.string(),
  agentId: z.string(),
  agentPort: z.int(),
  edgeHttpPort: z.int(),
  edgeHttpsPort: z.int(),
  tags: z.array(z.string()),
  createdAt: z.string(),
  /** Stopped on purpose: `resume` leaves it stopped. */
  stopped: z.boolean(),
  agent: z.object({ pid: z.int(), startTime: z.string() }).optional(),
  /** The version of this repository's agent that process runs (absent: from before it was recorded). */
  agentVersion: z.string().optional(),
});
type ServerState = z.infer<typeof ServerStateSchema>;

/**
 * The `local` cloud: a server is an agent process bound to a loopback address of its own (127.0.0.2, .3, …),
 * with its own nginx (started by the agent, in the server's directory) on that address, sharing this machine's
 * Docker engine. Everything it knows is on disk, so a restarted platform finds its servers again (`resume`).
 */
export class LocalCloudProvider implements CloudProvider {
  readonly kind = 'local';
  private readonly root: string;
  private readonly leases: LoopbackLeases;
  private readonly docker: Dockerode;
  private compiled: Promise<void> | undefined;

  constructor(private readonly options: LocalCloudOptions = {}) {
    this.root = options.root ?? join(homedir(), '.platform', 'servers');
    this.leases = new LoopbackLeases(
      options.leasesDir ?? join(tmpdir(), 'platform-loopback-leases'),
      options.hosts ?? { first: 2, last: 254 },
    );
    this.docker = new Dockerode({ socketPath: options.dockerSocket ?? '/var/run/docker.sock' });
  }

  private get ca(): PlatformCertificateAuthority {
    if (!this.options.ca) throw new DomainError('internal', 'this local cloud has no CA, so it cannot start agents');
    return this.options.ca;
  }

  private get ports() {
    const root = process.getuid?.() === 0;
    return {
      agent: this.options.agentPort ?? 7100,
      http: this.options.edgeHttpPort ?? (root ? 80 : 8080),
      https: this.options.edgeHttpsPort ?? (root ? 443 : 8443),
    };
  }

  async createServer(request: ServerRequest): Promise<CreatedServer> {
    const id = randomUUID();
    const dir = join(this.root, id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ports = this.ports;
    let address: string | undefined;
    try {
      address = await this.leases.acquire(dir, [ports.agent, ports.http, ports.https]);
      const secret = generateAgentSecret();
      await writeSecretFile(join(dir, 'agent.secret'), secret);
      await this.issueCertificate(dir, secret, address);
      const state: ServerState = {
        id,
        name: request.name,
        address,
        agentId: `local-${id.slice(0, 8)}`,
        agentPort: ports.agent,
        edgeHttpPort: ports.http,
        edgeHttpsPort: ports.https,
        tags: [...new Set([MANAGED_SERVER_TAG, ...(request.tags ?? [])])],
        createdAt: new Date().toISOString(),
        stopped: false,
      };
      await this.save(state);
      await this.startAgent(state, secret);
      return { ...(await this.view(await this.require(id))), agentSecret: secret };
    } catch (error) {
      const state = await this.load(id);
      if (state) await stopProcess(state.agent, 'SIGKILL', 1000);
      await this.stopNginx(dir);
      await rm(dir, { recursive: true, force: true });
      if (address) await this.leases.release(address);
      throw error;
    }
  }

  async listServers(): Promise<CloudServer[]> {
    const ids = await readdir(this.root).catch(() => []);
    const states = await Promise.all(ids.map((id) => this.load(id)));
    const servers = await Promise.all(
      states.filter((state): state is ServerState => state !== undefined).map((state) => this.view(state)),
    );
    return servers.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async getServer(id: string): Promise<CloudServer | undefined> {
    const state = await this.load(id);
    return state ? this.view(state) : undefined;
  }

  /** Stops the server's containers, its nginx and its agent; its directory, images and address stay. */
  async stopServer(id: string): Promise<CloudServer> {
    const state = await this.require(id);
    await stopProcess(state.agent, 'SIGTERM', 5000);
    await this.stopNginx(join(this.root, id));
    for (const container of await this.containersOf(state)) {
      await this.docker
        .getContainer(container.Id)
        .stop({ t: 10 })
        .catch(() => undefined);
    }
    const stopped = { ...state, stopped: true, agent: undefined };
    await this.save(stopped);
    return this.view(stopped);
  }

  /** Starts a stopped server again: its containers, then its agent (which starts nginx with its stored routes). */
  async startServer(id: string): Promise<CloudServer> {
    const state = await this.require(id);
    for (const container of await this.containersOf(state)) {
      if (container.State !== 'running')
        await this.docker
          .getContainer(container.Id)
          .start()
          .catch(() => undefined);
    }
    const started = { ...state, stopped: false };
    if (!(await isAlive(state.agent)))
      await this.startAgent(started, await readSecretFile(join(this.root, id, 'agent.secret')));
    else await this.save(started);
    return this.view((await this.load(id)) ?? started);
  }

  async deleteServer(id: string): Promise<void> {
    const state = await this.require(id);
    await stopProcess(state.agent, 'SIGTERM', 5000);
    await this.stopNginx(join(this.root, id));
    for (const container of await this.containersOf(state)) {
      await this.docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    // Its images go with it, as a deleted droplet's disk would.
    const images = await this.docker.listImages({
      filters: JSON.stringify({ label: [`${AgentLabels.agent}=${state.agentId}`] }),
    });
    for (const image of images)
      await this.docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(join(this.root, id), { recursive: true, force: true });
    await this.leases.release(state.address);
  }

  /**
   * After the platform restarts: every server that was not stopped on purpose gets its agent back if it died
   * (nginx and the containers kept serving meanwhile); running agents are simply found again, except one from
   * before agents spoke TLS (no certificate), which is restarted once, with one, and one of another version than
   * this platform's, restarted with the agent it expects (a deployment would otherwise meet an agent without the
   * endpoints it calls).
   */
  async resume(): Promise<CloudServer[]> {
    const ids = await readdir(this.root).catch(() => []);
    for (const id of ids) {
      const state = await this.load(id);
      if (!state || state.stopped) continue;
      if (await isAlive(state.agent)) {
        if ((await this.certified(id)) && state.agentVersion === AGENT_VERSION) continue;
        await stopProcess(state.agent, 'SIGTERM', 5000);
      }
      await this.startAgent(state, await readSecretFile(join(this.root, id, 'agent.secret')));
    }
    return this.listServers();
  }

  private certified(id: string): Promise<boolean> {
    return access(join(this.root, id, 'agent.crt')).then(
      () => true,
      () => false,
    );
  }

  /** The agent's certificate from the platform CA, beside its secret (the key 0600). */
  private async issueCertificate(dir: string, secret: string, address: string): Promise<void> {
    const issued = await this.ca.issueServerCertificate({ name: agentServerName(secret), address });
    await writeFile(join(dir, 'agent.key'), issued.privateKey, { mode: 0o600 });
    await writeFile(join(dir, 'agent.crt'), issued.certificate);
  }

  private async startAgent(state: ServerState, secret: string): Promise<void> {
    const dir = join(this.root, state.id);
    // A server made before agents spoke TLS gets its certificate when its agent next starts.
    if (!(await this.certified(state.id))) await this.issueCertificate(dir, secret, state.address);
    const command = this.options.agentCommand ?? (await this.defaultAgentCommand());
    const log = await open(join(dir, 'agent.log'), 'a');
    const child = spawn(command.command, [...command.args], {
      cwd: command.cwd,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AGENT_ID: state.agentId,
        AGENT_HOST: state.address,
        AGENT_PORT: String(state.agentPort),
        AGENT_SECRET_FILE: join(dir, 'agent.secret'),
        AGENT_TLS_CERT_FILE: join(dir, 'agent.crt'),
        AGENT_TLS_KEY_FILE: join(dir, 'agent.key'),
        AGENT_DATA_DIR: dir,
        EDGE_ADDRESS: state.address,
        EDGE_HTTP_PORT: String(state.edgeHttpPort),
        EDGE_HTTPS_PORT: String(state.edgeHttpsPort),
        DOCKER_SOCKET: this.options.dockerSocket ?? '/var/run/docker.sock',
        LOG_LEVEL: process.env.AGENT_LOG_LEVEL ?? 'info',
      },
    });
    await log.close();
    const exit: { code: number | null } = { code: null };
    child.once('exit', (code) => (exit.code = code ?? -1));
    child.unref();
    const pid = child.pid;
    const startTime = pid === undefined ? undefined : await processStartTime(pid);
    if (pid === undefined || startTime === undefined)
      throw new DomainError('unavailable', `the agent of server ${state.id} did not start`);
    const identity: ProcessIdentity = { pid, startTime };
    await this.save({ ...state, agent: identity, agentVersion: AGENT_VERSION });

    const client = new AgentClient({
      baseUrl: agentUrlOf(state),
      secret,
      ca: this.ca.certificate,
      timeoutMs: 2000,
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    for (;;) {
      const health = await client.health().catch(() => undefined);
      if (health?.status === 'ok') return;
      if (exit.code !== null || Date.now() > deadline) {
        await stopProcess(identity, 'SIGKILL', 1000);
        const output = (await readFile(join(dir, 'agent.log'), 'utf8').catch(() => ''))
          .trim()
          .split('\n')
          .slice(-5)
          .join('\n');
        throw new DomainError(
          'unavailable',
          `the agent of server ${state.id} ${exit.code !== null ? `exited (${exit.code})` : 'did not become ready'}: ${output}`,
        );
      }
      await sleep(100);
    }
  }

  /**
   * The agent app from this repository, precompiled (apps/agent/run.js) so it runs without a TypeScript
   * compiler in memory. An idle agent needs little: a small young generation, and V8's lite mode (no optimising
   * compiler; the agent's work is I/O) keep it near 60 MB.
   */
  private async defaultAgentCommand(): Promise<{ command: string; args: string[]; cwd: string }> {
    const runner = join(REPOSITORY_ROOT, 'apps/agent/run.js');
    this.compiled ??= new Promise<void>((done, fail) => {
      execFile(
        process.execPath,
        [runner, '--compile-only'],
        { cwd: REPOSITORY_ROOT, timeout: 120_000 },
        (error, _stdout, stderr) =>
          error ? fail(new DomainError('internal', `compiling the agent failed: ${stderr || error.message}`)) : done(),
      );
    });
    await this.compiled;
    return {
      command: process.execPath,
      args: ['--lite-mode', '--max-semi-space-size=1', runner],
      cwd: REPOSITORY_ROOT,
    };
  }

  private async stopNginx(dir: string): Promise<void> {
    const pid = Number((await readFile(join(dir, 'nginx', 'nginx.pid'), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    const startTime = await processStartTime(pid);
    if (startTime === undefined) return;
    const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!title.startsWith('nginx: master process')) return;
    await stopProcess({ pid, startTime }, 'SIGQUIT', 10_000);
  }

  private async containersOf(state: ServerState): Promise<Dockerode.ContainerInfo[]> {
    return this.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${AgentLabels.agent}=${state.agentId}`] }),
    });
  }

  private async view(state: ServerState): Promise<CloudServer> {
    return {
      id: state.id,
      name: state.name,
      status: (await isAlive(state.agent)) ? 'running' : 'stopped',
      publicIp: state.address,
      edge: { httpPort: state.edgeHttpPort, httpsPort: state.edgeHttpsPort },
      agentUrl: agentUrlOf(state),
      tags: state.tags,
      createdAt: state.createdAt,
    };
  }

  private async require(id: string): Promise<ServerState> {
    const state = await this.load(id);
    if (!state) throw new DomainError('not_found', `no local server ${id}`);
    return state;
  }

  private async load(id: string): Promise<ServerState | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const text = await readFile(join(this.root, id, 'server.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const parsed = ServerStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }

  private async save(state: ServerState): Promise<void> {
    const path = join(this.root, state.id, 'server.json');
    await writeFile(`${path}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
}
