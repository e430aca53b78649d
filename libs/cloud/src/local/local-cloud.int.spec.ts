import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { AgentClient } from '@platform/agent-client';
import { ensureBaseImages } from '@platform/build';
import { tarGzOf, writeTestApp } from '@platform/build/src/test-support';
import { AGENT_VERSION, ArchiveContentTypes } from '@platform/contracts';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { eventually, freePort } from '@platform/testing';
import { MANAGED_SERVER_TAG } from '../cloud-provider';
import { LocalCloudProvider, type LocalCloudOptions } from './local-cloud';

jest.setTimeout(180_000);

function get(address: string, port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 5000 },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let root: string;
let options: LocalCloudOptions;
let ca: PlatformCertificateAuthority;
let cloud: LocalCloudProvider;
const created: string[] = [];

beforeAll(async () => {
  await ensureBaseImages(['node']);
  root = await mkdtemp(join(tmpdir(), 'local-cloud-'));
  // Ports of their own, so this file runs beside anything else on the loopback (a developer's platform, other tests).
  ca = (await PlatformCertificateAuthority.generate()).ca;
  options = {
    ca,
    root,
    hosts: { first: 2, last: 254 },
    agentPort: await freePort(),
    edgeHttpPort: await freePort(),
    edgeHttpsPort: await freePort(),
  };
  cloud = new LocalCloudProvider(options);
});
afterAll(async () => {
  for (const id of created) await cloud.deleteServer(id).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe('local servers', () => {
  it('creates a server on a loopback address of its own, deploys an app to it, and survives a platform restart', async () => {
    const server = await cloud.createServer({ name: 'local one', tags: ['env:test'] });
    created.push(server.id);
    expect(server).toMatchObject({ status: 'running', tags: [MANAGED_SERVER_TAG, 'env:test'] });
    expect(server.publicIp).toMatch(/^127\.0\.0\.(\d+)$/);
    expect(server.publicIp).not.toBe('127.0.0.1');
    expect((await stat(join(root, server.id, 'agent.secret'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, server.id, 'agent.key'))).mode & 0o777).toBe(0o600);
    expect(server.agentUrl).toBe(`https://${server.publicIp}:${options.agentPort}`);

    const agent = new AgentClient({ baseUrl: server.agentUrl, secret: server.agentSecret, ca: ca.certificate });
    expect(await agent.health()).toEqual({ status: 'ok', checks: { docker: true, nginx: true } });

    const source = join(root, 'app');
    await writeTestApp(source);
    const image = await agent.buildImage(
      { repository: `local-cloud-${server.id.slice(0, 8)}`, tag: 'deploy_10ca1000', service: 'web' },
      { path: await tarGzOf(source, join(root, 'app.tar.gz')), contentType: ArchiveContentTypes.tarGzip },
    );
    await agent.cutover({
      container: {
        name: `web-${server.id.slice(0, 8)}`,
        image: image.image,
        service: 'web',
        port: 3000,
        env: { VERSION: 'v1' },
        healthCheck: { path: '/health', intervalMs: 100 },
      },
      hostnames: ['app.localhost'],
    });
    expect(await get(server.publicIp, server.edge.httpPort, 'app.localhost')).toEqual({
      status: 200,
      body: 'v1 app.localhost',
    });

    // The platform restarts: a new provider finds the server running, with the same agent.
    const restarted = new LocalCloudProvider(options);
    expect((await restarted.listServers()).map((item) => ({ id: item.id, status: item.status }))).toEqual([
      { id: server.id, status: 'running' },
    ]);

    // The agent dies: the app keeps answering (nginx and the container do not depend on it), and resume brings it back.
    const { agent: identity } = JSON.parse(await readFile(join(root, server.id, 'server.json'), 'utf8')) as {
      agent: { pid: number };
    };
    process.kill(identity.pid, 'SIGKILL');
    await eventually(async () => expect((await restarted.getServer(server.id))?.status).toBe('stopped'), 5000, 50);
    expect(await get(server.publicIp, server.edge.httpPort, 'app.localhost')).toEqual({
      status: 200,
      body: 'v1 app.localhost',
    });
    await restarted.resume();
    expect((await restarted.getServer(server.id))?.status).toBe('running');
    expect((await agent.routes()).routes.map((route) => route.hostname)).toEqual(['app.localhost']);

    // A running agent from before agents spoke TLS (no certificate) is restarted once, with one.
    const running = await readFile(join(root, server.id, 'server.json'), 'utf8');
    await rm(join(root, server.id, 'agent.crt'));
    await restarted.resume();
    const upgraded = await readFile(join(root, server.id, 'server.json'), 'utf8');
    expect(upgraded).not.toBe(running);
    expect(await agent.health()).toMatchObject({ status: 'ok' });
    await restarted.resume();
    expect(await readFile(join(root, server.id, 'server.json'), 'utf8')).toBe(upgraded);

    // A running agent of another version than this platform's (started by an older one) is restarted, once.
    const state = JSON.parse(upgraded) as { agent: { pid: number }; agentVersion?: string };
    expect(state.agentVersion).toBe(AGENT_VERSION);
    await writeFile(join(root, server.id, 'server.json'), JSON.stringify({ ...state, agentVersion: '0.2.0' }));
    await restarted.resume();
    const current = JSON.parse(await readFile(join(root, server.id, 'server.json'), 'utf8')) as typeof state;
    expect(current.agentVersion).toBe(AGENT_VERSION);
    expect(current.agent.pid).not.toBe(state.agent.pid);
    expect(await agent.health()).toMatchObject({ status: 'ok' });

    // Stopped: nothing answers; started again: the app is back.
    await restarted.stopServer(server.id);
    expect((await get(server.publicIp, server.edge.httpPort, 'app.localhost')).status).toBe(0);
    expect((await restarted.resume()).find((item) => item.id === server.id)?.status).toBe('stopped');
    // As a server made before agents spoke TLS: it gets its certificate when its agent starts again.
    await rm(join(root, server.id, 'agent.crt'));
    await restarted.startServer(server.id);
    expect(await agent.health()).toMatchObject({ status: 'ok' });
    await eventually(
      async () =>
        expect(await get(server.publicIp, server.edge.httpPort, 'app.localhost')).toEqual({
          status: 200,
          body: 'v1 app.localhost',
        }),
      20_000,
      100,
    );
  });

  it('removes the containers and images of a deleted server', async () => {
    const server = await cloud.createServer({ name: 'short-lived' });
    created.push(server.id);
    const agent = new AgentClient({ baseUrl: server.agentUrl, secret: server.agentSecret, ca: ca.certificate });
    const source = join(root, 'app2');
    await writeTestApp(source);
    const image = await agent.buildImage(
      { repository: `local-cloud-${server.id.slice(0, 8)}`, tag: 'deploy_10ca1001', service: 'web' },
      { path: await tarGzOf(source, join(root, 'app2.tar.gz')), contentType: ArchiveContentTypes.tarGzip },
    );
    const container = await agent.runContainer({
      name: `web-${server.id.slice(0, 8)}`,
      image: image.image,
      service: 'web',
      port: 3000,
    });
    await cloud.deleteServer(server.id);
    await expect(docker.getContainer(container.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getImage(image.image).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('gives each server its own address, and deleting one frees everything it had', async () => {
    const [first, second] = [await cloud.createServer({ name: 'a' }), await cloud.createServer({ name: 'b' })];
    created.push(first.id, second.id);
    expect(first.publicIp).not.toBe(second.publicIp);

    await cloud.deleteServer(first.id);
    expect(await cloud.getServer(first.id)).toBeUndefined();
    await expect(stat(join(root, first.id))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await get(first.publicIp, first.edge.httpPort, 'app.localhost')).status).toBe(0);
    expect((await cloud.getServer(second.id))?.status).toBe('running');
    await expect(cloud.deleteServer(first.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});
