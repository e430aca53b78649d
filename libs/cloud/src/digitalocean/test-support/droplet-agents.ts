import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@platform/testing';
import { parse } from 'yaml';
import { SERVER_PATHS } from '../../cloud-init/platform-server';
import type { FakeDigitalOcean } from './fake-digitalocean';

const AGENT_RUNNER = resolve(__dirname, '../../../../../apps/agent/run.js');

interface CloudConfig {
  write_files?: { path: string; content: string }[];
}

/**
 * Plays the part of the droplets' operating system for a FakeDigitalOcean: each droplet gets a loopback address,
 * and once it runs, a real agent listens there with the secret its cloud-init user data carries — so what the
 * platform sends DigitalOcean (secret, certificate and key) is what the agent then uses. Destroying the droplet stops its agent.
 */
export class DropletAgents {
  private readonly agents = new Map<number, { child: ChildProcess; exited: Promise<void>; dir: string }>();
  /** A /16 of loopback of its own, so fakes in parallel test files do not share addresses. */
  private readonly network = randomInt(64, 127);

  constructor(
    private readonly fake: FakeDigitalOcean,
    private readonly agentPort: number,
  ) {
    fake.addressOf = (dropletId) => `127.${this.network}.${(dropletId >> 8) & 255}.${dropletId & 255}`;
    fake.onDropletActive = (droplet, userData) => void this.start(droplet.id, userData);
    fake.onDropletDestroyed = (droplet) => void this.stop(droplet.id);
  }

  /** Agents that could not start (no user data, no secret in it). */
  readonly problems: string[] = [];

  /** A file cloud-init writes on the droplet, from its user data. */
  static fileOf(userData: string | undefined, path: string): string | undefined {
    return userData
      ? (parse(userData) as CloudConfig).write_files?.find((file) => file.path === path)?.content
      : undefined;
  }

  /** The agent secret cloud-init writes on the droplet, from its user data. */
  static secretOf(userData: string | undefined): string | undefined {
    return DropletAgents.fileOf(userData, SERVER_PATHS.secretFile)?.trim();
  }

  private async start(dropletId: number, userData: string | undefined): Promise<void> {
    const secret = DropletAgents.secretOf(userData);
    const certificate = DropletAgents.fileOf(userData, SERVER_PATHS.certificateFile);
    const key = DropletAgents.fileOf(userData, SERVER_PATHS.keyFile);
    if (!secret || !certificate || !key) {
      this.problems.push(`droplet ${dropletId} has no agent secret, certificate or key in its user data`);
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), `droplet-${dropletId}-`));
    await writeFile(join(dir, 'agent.secret'), `${secret}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'agent.crt'), certificate);
    await writeFile(join(dir, 'agent.key'), key, { mode: 0o600 });
    const address = this.fake.addressOf(dropletId);
    // Ports of their own: droplets of fakes in other test files may share an address.
    const [edgeHttp, edgeHttps] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [AGENT_RUNNER], {
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AGENT_ID: `droplet-${dropletId}`,
        AGENT_HOST: address,
        AGENT_PORT: String(this.agentPort),
        AGENT_SECRET_FILE: join(dir, 'agent.secret'),
        AGENT_TLS_CERT_FILE: join(dir, 'agent.crt'),
        AGENT_TLS_KEY_FILE: join(dir, 'agent.key'),
        AGENT_DATA_DIR: dir,
        EDGE_ADDRESS: address,
        EDGE_HTTP_PORT: String(edgeHttp),
        EDGE_HTTPS_PORT: String(edgeHttps),
        LOG_LEVEL: 'silent',
      },
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    this.agents.set(dropletId, { child, exited, dir });
  }

  private async stop(dropletId: number): Promise<void> {
    const agent = this.agents.get(dropletId);
    if (!agent) return;
    this.agents.delete(dropletId);
    agent.child.kill('SIGTERM');
    const killed = setTimeout(() => agent.child.kill('SIGKILL'), 5000);
    await agent.exited;
    clearTimeout(killed);
    // The agent leaves its nginx serving when it stops (as on a server, where it may restart): a droplet's end ends it.
    const nginx = Number((await readFile(join(agent.dir, 'nginx', 'nginx.pid'), 'utf8').catch(() => '')).trim());
    if (nginx > 0) {
      try {
        process.kill(nginx, 'SIGQUIT');
      } catch {
        // gone already
      }
    }
    await rm(agent.dir, { recursive: true, force: true });
  }

  /** Droplets whose agent runs now. */
  running(): number[] {
    return [...this.agents.keys()];
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.agents.keys()].map((id) => this.stop(id)));
  }
}
