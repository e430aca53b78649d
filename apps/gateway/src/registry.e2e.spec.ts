import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import Dockerode from 'dockerode';
import { packDirectory } from '@platform/archive';
import { ensureBaseImages } from '@platform/build';
import { SelfHostedRegistry } from '@platform/registry';
import { PlatformCertificateAuthority, SecretBox } from '@platform/secrets';
import { eventually, freePort } from '@platform/testing';
import { startStack, type Stack } from './test-support';

jest.setTimeout(300_000);

interface DeploymentView {
  status: string;
  failureReason: string | null;
  servers: { serverId: string; status: string }[];
}
interface LogLine {
  serverId: string | null;
  step: string;
  line: string;
}

/** One request through a server's edge with the service's hostname. */
function viaEdge(address: string, host: string): Promise<string> {
  return new Promise((done) => {
    const req = httpRequest(
      { host: address, port: 80, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done(`${res.statusCode} ${body}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => done(`error ${error.message}`));
    req.end();
  });
}

const DIGEST = /@(sha256:[a-f0-9]{64})/;

/**
 * Images through the platform's own registry on the local cloud: built once, pushed once, pulled by digest on every
 * server; a server joining gets the digest without a build; a rollback pulls the recorded digest onto a server that
 * never ran that version; a registry that is down fails a deployment naming it and changes nothing.
 */
describe('images through the registry: local cloud, real Docker, nginx and CNCF Distribution', () => {
  let stack: Stack;
  let registry: SelfHostedRegistry;
  let registryDir: string;
  let token: string;
  let workspaceId: string;
  let serviceId: string;
  let uploadId: string;
  let servers: { serverId: string; ip: string }[];
  const name = `reg${Math.random().toString(36).slice(2, 8)}`;
  const host = `${name}.localhost`;
  const deployments: Record<string, string> = {};
  const digests: Record<string, string> = {};
  let repository: string;

  beforeAll(async () => {
    registryDir = await mkdtemp(join(tmpdir(), 'platform-registry-e2e-'));
    const port = await freePort();
    stack = await startStack(
      'registry',
      {},
      {},
      { deployer: { REGISTRY_DIR: registryDir, REGISTRY_PORT: String(port), REGISTRY_KEEP_IMAGES: '3' } },
    );
    const secrets = SecretBox.fromEnv(stack.deployerEnv);
    const ca = await PlatformCertificateAuthority.openOrCreate(stack.deployerEnv.PLATFORM_CA_FILE as string, secrets);
    registry = await SelfHostedRegistry.open({ dir: registryDir, address: '127.0.0.1', port, ca, secrets });
    await ensureBaseImages(['node']);
    const { api } = stack;
    ({ token, workspaceId } = await api.signup('registry'));
    const created = await Promise.all(
      ['reg-1', 'reg-2', 'reg-3'].map((server) =>
        api.request<{ serverId: string }>('POST', '/v1/servers', { token, body: { provider: 'local', name: server } }),
      ),
    );
    servers = await Promise.all(
      created.map((server) =>
        eventually(async () => {
          const view = await api.request<{ status: string; publicIp: string }>(
            'GET',
            `/v1/servers/${server.body.serverId}`,
            { token },
          );
          expect(view.body.status).toBe('ready');
          return { serverId: server.body.serverId, ip: view.body.publicIp };
        }, 60_000),
      ),
    );
    const project = await api.request<{ projectId: string }>('POST', '/v1/projects', { token, body: { name: 'reg' } });
    const service = await api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      { token, body: { name, port: 3000, healthCheckPath: '/health', env: { VERSION: 'v1' } } },
    );
    serviceId = service.body.serviceId;

    const dir = await mkdtemp(join(tmpdir(), 'registry-upload-'));
    const archive = join(dir, 'hello.tar.gz');
    await pipeline(
      packDirectory(resolve(__dirname, '../../../examples/hello')) as unknown as NodeJS.ReadableStream,
      createGzip(),
      createWriteStream(archive),
    );
    const uploaded = await fetch(`${stack.gateway.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body: await readFile(archive),
    });
    expect(uploaded.status).toBe(201);
    uploadId = ((await uploaded.json()) as { uploadId: string }).uploadId;
    await rm(dir, { recursive: true, force: true });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await registry?.stop();
    await rm(registryDir, { recursive: true, force: true });
  }, 120_000);

  const ids = (count: number) => servers.slice(0, count).map((server) => server.serverId);
  const deploy = async (source: Record<string, string>, serverIds: string[], env: Record<string, string> = {}) => {
    const started = await stack.api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
      token,
      body: { serviceId, source, serverIds, env },
    });
    expect(started.status).toBe(202);
    return started.body.deploymentId;
  };
  const rollBack = async (deploymentId: string, serverIds: string[]) => {
    const started = await stack.api.request<{ deploymentId: string }>(
      'POST',
      `/v1/deployments/${deploymentId}/rollback?serverIds=${serverIds.join(',')}`,
      { token },
    );
    expect(started.status).toBe(202);
    return started.body.deploymentId;
  };
  const ended = (deploymentId: string) =>
    eventually(async () => {
      const view = await stack.api.request<DeploymentView>('GET', `/v1/deployments/${deploymentId}`, { token });
      expect(['succeeded', 'failed']).toContain(view.body.status);
      return view.body;
    }, 180_000);
  const logsOf = async (deploymentId: string) =>
    (await stack.api.request<{ lines: LogLine[] }>('GET', `/v1/deployments/${deploymentId}/logs`, { token })).body
      .lines;
  const pullsOf = (lines: LogLine[]) =>
    lines
      .filter((line) => line.step === 'pull')
      .map((line) => ({ serverId: line.serverId, digest: DIGEST.exec(line.line)?.[1] }));
  const answers = (count: number) => Promise.all(servers.slice(0, count).map((server) => viaEdge(server.ip, host)));

  it('builds once, pushes once, and both servers pull the same digest', async () => {
    deployments.v1 = await deploy({ type: 'upload', uploadId }, ids(2), { VERSION: 'v1' });
    expect(await ended(deployments.v1)).toMatchObject({ status: 'succeeded' });

    const lines = await logsOf(deployments.v1);
    const builders = new Set(lines.filter((line) => line.step === 'build').map((line) => line.serverId));
    expect(builders.size).toBe(1);
    const pushes = lines.filter((line) => line.step === 'push');
    expect(pushes).toHaveLength(1);
    const digest = DIGEST.exec(pushes[0].line)?.[1] as string;
    expect(pullsOf(lines).sort((a, b) => String(a.serverId).localeCompare(String(b.serverId)))).toEqual(
      ids(2)
        .sort()
        .map((serverId) => ({ serverId, digest })),
    );
    digests.v1 = digest;
    // The registry holds it under the deployment's tag, in the workspace's namespace.
    repository = `${registry.host}/${SelfHostedRegistry.namespaceOf(workspaceId)}/${pushes[0].line.split('/')[2].split(':')[0]}`;
    expect(await registry.manifestDigest(repository, `deploy_${deployments.v1.replace(/-/g, '').slice(0, 8)}`)).toBe(
      digest,
    );
    expect(await answers(2)).toEqual([`200 v1 ${host}\n`, `200 v1 ${host}\n`]);

    // No credential is left behind: not in the log, not in what the engine keeps of the running containers.
    const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
    const containers = await docker.listContainers({
      filters: JSON.stringify({ label: ['io.platform.managed=true'] }),
    });
    const inspected = await Promise.all(containers.map((container) => docker.getContainer(container.Id).inspect()));
    for (const text of [JSON.stringify(lines), JSON.stringify(inspected)]) {
      expect(text).not.toMatch(/registrytoken|eyJ[A-Za-z0-9_-]{20,}\./);
    }
  });

  it('deploys v2, then a third server joins the service without a build, pulling the current digest', async () => {
    deployments.v2 = await deploy({ type: 'upload', uploadId }, ids(2), { VERSION: 'v2' });
    expect(await ended(deployments.v2)).toMatchObject({ status: 'succeeded' });
    digests.v2 = DIGEST.exec(
      (await logsOf(deployments.v2)).find((line) => line.step === 'push')?.line ?? '',
    )?.[1] as string;
    expect(digests.v2).not.toBe(digests.v1);

    const joined = await rollBack(deployments.v2, ids(3));
    expect(await ended(joined)).toMatchObject({ status: 'succeeded' });
    const lines = await logsOf(joined);
    expect(lines.filter((line) => line.step === 'build' || line.step === 'push')).toEqual([]);
    expect(pullsOf(lines).map((pull) => pull.digest)).toEqual([digests.v2, digests.v2, digests.v2]);
    expect(await answers(3)).toEqual([`200 v2 ${host}\n`, `200 v2 ${host}\n`, `200 v2 ${host}\n`]);
  });

  it('rolls back to v1 on all three servers, the third of which never ran v1, by its recorded digest', async () => {
    const rollback = await rollBack(deployments.v1, ids(3));
    expect(await ended(rollback)).toMatchObject({ status: 'succeeded' });
    const pulls = pullsOf(await logsOf(rollback));
    expect(pulls.find((pull) => pull.serverId === servers[2].serverId)?.digest).toBe(digests.v1);
    expect(await answers(3)).toEqual([`200 v1 ${host}\n`, `200 v1 ${host}\n`, `200 v1 ${host}\n`]);
  });

  it('fails a deployment naming the registry while it is down, every server staying on what it ran; back up, the next works', async () => {
    await registry.stop();
    try {
      const failed = await deploy({ type: 'upload', uploadId }, ids(3), { VERSION: 'v3' });
      const view = await ended(failed);
      expect(view.status).toBe('failed');
      expect(view.failureReason).toContain(`the registry ${registry.host}`);
      expect(await answers(3)).toEqual([`200 v1 ${host}\n`, `200 v1 ${host}\n`, `200 v1 ${host}\n`]);
    } finally {
      await registry.start();
    }
    const next = await deploy({ type: 'upload', uploadId }, ids(3), { VERSION: 'v4' });
    expect(await ended(next)).toMatchObject({ status: 'succeeded' });
    digests.v4 = DIGEST.exec((await logsOf(next)).find((line) => line.step === 'push')?.line ?? '')?.[1] as string;
    expect(await answers(3)).toEqual([`200 v4 ${host}\n`, `200 v4 ${host}\n`, `200 v4 ${host}\n`]);
  });

  it("fails image sources naming another workspace's repository, a digest the registry lacks, or a private registry", async () => {
    const other = SelfHostedRegistry.namespaceOf('00000000-0000-4000-8000-000000000001');
    const own = SelfHostedRegistry.namespaceOf(workspaceId);
    const cases = [
      { image: `${registry.host}/${other}/web:deploy_12345678`, reason: /not in this workspace's namespace/ },
      { image: `${registry.host}/${own}/web@sha256:${'0'.repeat(64)}`, reason: /manifest unknown|not found/i },
      { image: '10.1.2.3:5000/app:1', reason: /10\.1\.2\.3:5000.*private address/ },
    ];
    for (const { image, reason } of cases) {
      const view = await ended(await deploy({ type: 'image', image }, ids(1)));
      expect(view.status).toBe('failed');
      expect(view.failureReason).toMatch(reason);
    }
    expect(await answers(3)).toEqual([`200 v4 ${host}\n`, `200 v4 ${host}\n`, `200 v4 ${host}\n`]);
  });

  it('keeps the newest REGISTRY_KEEP_IMAGES (3) images of the service in the registry and deletes the older ones', async () => {
    for (const version of ['v5', 'v6']) {
      deployments[version] = await deploy({ type: 'upload', uploadId }, ids(3), { VERSION: version });
      expect(await ended(deployments[version])).toMatchObject({ status: 'succeeded' });
    }
    // Kept: v6, v5 and v4 (v3 never reached the registry); v1 and v2 go once v6 has succeeded (clean-up after it).
    await eventually(async () => {
      expect(await registry.manifestDigest(repository, digests.v1)).toBeUndefined();
      expect(await registry.manifestDigest(repository, digests.v2)).toBeUndefined();
    }, 30_000);
    expect(await registry.manifestDigest(repository, digests.v4)).toBe(digests.v4);
  });

  it('takes an image source naming its own repository by tag as the digest the tag names, without a push', async () => {
    const v6 = (await logsOf(deployments.v6)).find((line) => line.step === 'push')?.line ?? '';
    const tag = `deploy_${deployments.v6.replace(/-/g, '').slice(0, 8)}`;
    const id = await deploy({ type: 'image', image: `${repository}:${tag}` }, ids(3), { VERSION: 'v7' });
    expect(await ended(id)).toMatchObject({ status: 'succeeded' });
    const lines = await logsOf(id);
    expect(lines.filter((line) => line.step === 'push' || line.step === 'build')).toEqual([]);
    expect(pullsOf(lines).map((pull) => pull.digest)).toEqual([1, 2, 3].map(() => DIGEST.exec(v6)?.[1]));
    expect(await answers(3)).toEqual([`200 v7 ${host}\n`, `200 v7 ${host}\n`, `200 v7 ${host}\n`]);
  });
});
