import { request as httpRequest } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { pino } from 'pino';
import { AgentClient } from '@platform/agent-client';
import { agentServerName, generateAgentSecret, writeSecretFile } from '@platform/agent-protocol';
import { AgentLabels } from '@platform/contracts';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { freePort, uniqueName } from '@platform/testing';
import { Agent } from './agent';
import { loadAgentConfig, type AgentConfig } from './config';
import { nginxLayout } from './edge/nginx-config';
import { NginxProcess } from '@platform/nginx';
import { buildAgentServer } from './http-server';
import { readAgentTls } from './tls';

/** Helpers for the agent's integration tests; not part of the lib's API. */

export const docker = new Dockerode({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });

export interface TestAgent {
  readonly agent: Agent;
  readonly client: AgentClient;
  readonly config: AgentConfig;
  readonly secret: string;
  /** The test's platform CA, which issued the agent's certificate. */
  readonly ca: PlatformCertificateAuthority;
  readonly agentUrl: string;
  /** e.g. http://127.0.0.1:PORT: nginx, answering for the routed hostnames. */
  readonly edgePort: number;
  readonly edgeHttpsPort: number;
  readonly dataDir: string;
  /** A unique name with this agent's prefix, for containers, images and services. */
  name(label: string): string;
  close(): Promise<void>;
}

/**
 * An agent in this process, on 127.0.0.1 with ports of its own and its own nginx, so test files run side by
 * side. `close` removes its containers and the images it tagged, stops its nginx and deletes its data.
 */
export async function startTestAgent(label: string, settings: Record<string, string> = {}): Promise<TestAgent> {
  const id = uniqueName(label).replace(/_/g, '-');
  const dataDir = await mkdtemp(join(tmpdir(), `${id}-`));
  const secret = generateAgentSecret();
  await writeSecretFile(join(dataDir, 'secret'), secret);
  const ca = await testCertificateAuthority();
  const issued = await ca.issueServerCertificate({ name: agentServerName(secret), address: '127.0.0.1' });
  await writeFile(join(dataDir, 'agent.crt'), issued.certificate);
  await writeFile(join(dataDir, 'agent.key'), issued.privateKey, { mode: 0o600 });
  const [agentPort, edgePort, edgeHttpsPort] = [await freePort(), await freePort(), await freePort()];
  const config = loadAgentConfig({
    AGENT_ID: id,
    AGENT_HOST: '127.0.0.1',
    AGENT_PORT: String(agentPort),
    AGENT_SECRET_FILE: join(dataDir, 'secret'),
    AGENT_TLS_CERT_FILE: join(dataDir, 'agent.crt'),
    AGENT_TLS_KEY_FILE: join(dataDir, 'agent.key'),
    AGENT_DATA_DIR: dataDir,
    EDGE_ADDRESS: '127.0.0.1',
    EDGE_HTTP_PORT: String(edgePort),
    EDGE_HTTPS_PORT: String(edgeHttpsPort),
    LOG_LEVEL: process.env.AGENT_TEST_LOG ?? 'silent',
    ...settings,
  });
  const agent = await Agent.start(config);
  const server = buildAgentServer(agent, pino({ level: config.logLevel }), await readAgentTls(config.tls));
  await server.listen({ host: '127.0.0.1', port: agentPort });
  const agentUrl = `https://127.0.0.1:${agentPort}`;
  return {
    agent,
    client: new AgentClient({ baseUrl: agentUrl, secret, ca: ca.certificate }),
    config,
    secret,
    ca,
    agentUrl,
    edgePort,
    edgeHttpsPort,
    dataDir,
    name: (what: string) => `${id}-${what}`,
    async close() {
      agent.close();
      await server.close();
      await removeContainersOf(id);
      await removeImagesNamed(id);
      await new NginxProcess(config.nginx.bin, nginxLayout(config.nginx.prefix)).quit();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let testCa: Promise<PlatformCertificateAuthority> | undefined;

/** One CA for a test file's agents, as one platform has. */
export function testCertificateAuthority(): Promise<PlatformCertificateAuthority> {
  testCa ??= PlatformCertificateAuthority.generate().then(({ ca }) => ca);
  return testCa;
}

export async function removeContainersOf(agentId: string): Promise<void> {
  const containers = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${AgentLabels.agent}=${agentId}`] }),
  });
  await Promise.all(
    containers.map((container) =>
      docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** Removes every image tag whose repository contains `fragment` (the test's unique prefix). */
export async function removeImagesNamed(fragment: string): Promise<void> {
  for (const image of await docker.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      if (tag.includes(fragment))
        await docker
          .getImage(tag)
          .remove({ force: true })
          .catch(() => undefined);
    }
  }
}

export { TEST_APP_SERVER, tarGzOf, writeTestApp } from '@platform/build/src/test-support';

export interface EdgeAnswer {
  readonly startedAt: number;
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

/** One GET through nginx with the given Host header, on a connection of its own. */
export function getThroughEdge(port: number, host: string, path = '/', address = '127.0.0.1'): Promise<EdgeAnswer> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: address, port, path, headers: { host, connection: 'close' }, agent: false, timeout: 10_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ startedAt, status: response.statusCode ?? 0, body }));
        response.on('error', (error) => resolve({ startedAt, status: 0, body, error: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ startedAt, status: 0, body: '', error: error.message }));
    req.end();
  });
}

/**
 * Sends requests through nginx from `clients` sequential loops until stopped; each loop's answers are kept in
 * order, so a test can check that it saw the old version, then the new one, and nothing else.
 */
export function loadThroughEdge(options: { port: number; host: string; clients: number; address?: string }) {
  let running = true;
  const sequences: EdgeAnswer[][] = Array.from({ length: options.clients }, () => []);
  const startedAt = performance.now();
  const loops = sequences.map(async (sequence) => {
    while (running) sequence.push(await getThroughEdge(options.port, options.host, '/', options.address));
  });
  return {
    sequences,
    async stop() {
      running = false;
      await Promise.all(loops);
      const seconds = (performance.now() - startedAt) / 1000;
      const all = sequences.flat();
      return { answers: all, perSecond: all.length / seconds, seconds };
    },
  };
}

/** The distinct answers of a sequence, in order of appearance, collapsing repeats: [v1, v2] for a clean switch. */
export function runsOf(sequence: readonly EdgeAnswer[]): string[] {
  const runs: string[] = [];
  for (const answer of sequence) {
    const value =
      answer.status === 200
        ? answer.body.split(' ')[0]
        : `failed(${answer.status} ${answer.error ?? answer.body.slice(0, 40)})`;
    if (runs.at(-1) !== value) runs.push(value);
  }
  return runs;
}
