import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { packDirectory } from '@platform/archive';
import { ensureBaseImages } from '@platform/build';
import type { FakeZone } from '@platform/cloud/testing';
import { eventually, expectRefusal } from '@platform/testing';
import { EventStreamReader, startCloudFakes, startStack, type CloudFakes, type Stack } from './test-support';

jest.setTimeout(400_000);

/** DNS follows deployments: the records of a domain are its service's servers, on the fake Cloudflare. */
describe('a domain on Cloudflare follows its service across servers', () => {
  let fakes: CloudFakes;
  let stack: Stack;
  let token: string;
  let serviceId: string;
  let uploadId: string;
  let servers: { serverId: string; ip: string }[];
  let zone: FakeZone;
  const suffix = Math.random().toString(36).slice(2, 8);
  const hostname = `shop-${suffix}.example.test`;

  beforeAll(async () => {
    fakes = await startCloudFakes();
    stack = await startStack('domainsdns', {}, fakes.provisionerSettings);
    await ensureBaseImages(['node']);
    const { api } = stack;
    ({ token } = await api.signup('owner'));
    const saved = await api.request('PUT', '/v1/providers/cloudflare', {
      token,
      body: { token: fakes.cloudflare.token },
    });
    expect(saved.status).toBe(200);
    zone = fakes.cloudflare.addZone('example.test');
    const made = await Promise.all(
      ['dns-1', 'dns-2', 'dns-3'].map((name) =>
        api.request<{ serverId: string }>('POST', '/v1/servers', { token, body: { provider: 'local', name } }),
      ),
    );
    servers = await Promise.all(
      made.map((server) =>
        eventually(async () => {
          const view = await api.request<{ status: string; publicIp: string }>(
            'GET',
            `/v1/servers/${server.body.serverId}`,
            { token },
          );
          expect(view.body.status).toBe('ready');
          return { serverId: server.body.serverId, ip: view.body.publicIp };
        }, 90_000),
      ),
    );
    const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
      token,
      body: { name: `shop-${suffix}` },
    });
    const service = await api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      { token, body: { name: `shop-${suffix}`, port: 3000, healthCheckPath: '/health' } },
    );
    serviceId = service.body.serviceId;
    const dir = await mkdtemp(join(tmpdir(), 'hello-upload-'));
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
  }, 400_000);

  afterAll(async () => {
    await stack.stop();
    await fakes.close();
  }, 120_000);

  async function deployTo(serverIds: string[]) {
    const deployment = await stack.api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
      token,
      body: { serviceId, source: { type: 'upload', uploadId }, serverIds },
    });
    expect(deployment.status).toBe(202);
    await eventually(
      async () => {
        const view = await stack.api.request<{ status: string }>(
          'GET',
          `/v1/deployments/${deployment.body.deploymentId}`,
          { token },
        );
        expect(view.body.status).toBe('succeeded');
      },
      240_000,
      500,
    );
  }

  /** The A records of the hostname that the platform made (their comment marks them), by address. */
  const platformRecords = () =>
    fakes.cloudflare
      .recordsOf(hostname)
      .filter((record) => record.comment?.startsWith('platform:'))
      .map((record) => `${record.type} ${record.content}`)
      .sort();
  const recordsOn = (chosen: { ip: string }[]) => chosen.map((server) => `A ${server.ip}`).sort();

  it('refuses bad input calling nothing at Cloudflare, then keeps one record per server through deploys, a destroyed server and removal', async () => {
    const { api } = stack;
    const unmanaged = fakes.cloudflare.addRecord(zone, { type: 'A', name: hostname, content: '198.51.100.7' });
    const other = await api.signup('other');
    const bad: [unknown, string, number, string][] = [
      [{ hostname: 'with space.example.test' }, serviceId, 400, 'validation_failed'],
      [{ hostname: 'a..example.test' }, serviceId, 400, 'validation_failed'],
      [{ hostname: 'shop.example.test.' }, serviceId, 400, 'validation_failed'],
      [{ hostname: `${'a'.repeat(59)}.`.repeat(5) + 'test' }, serviceId, 400, 'validation_failed'],
      [{ hostname: '*.*.example.test' }, serviceId, 400, 'validation_failed'],
      [{ hostname: '192.0.2.1' }, serviceId, 400, 'validation_failed'],
    ];
    for (const [body, target, status, code] of bad) {
      expectRefusal(await api.request('POST', `/v1/services/${target}/domains`, { token, body }), {
        case: JSON.stringify(body),
        status,
        code,
      });
    }
    expectRefusal(
      await api.request('POST', `/v1/services/${serviceId}/domains`, { token: other.token, body: { hostname } }),
      { status: 404, code: 'not_found' },
    );
    await deployTo([servers[0].serverId, servers[1].serverId]);
    const events = await EventStreamReader.open(stack.gateway.url, token, '?types=DnsRecordsSet,DomainRemoved');
    try {
      // Nothing of the refusals reached Cloudflare: not one call, read or write.
      expect(fakes.cloudflare.calls.filter((call) => call.operationId !== 'user-api-tokens-verify-token')).toEqual([]);

      const added = await api.request<{ domainId: string }>('POST', `/v1/services/${serviceId}/domains`, {
        token,
        body: { hostname },
      });
      expect(added.status).toBe(202);
      // A second workspace cannot take the hostname, nor can this one twice.
      expectRefusal(await api.request('POST', `/v1/services/${serviceId}/domains`, { token, body: { hostname } }), {
        status: 409,
        code: 'name_taken',
      });
      await eventually(() => expect(platformRecords()).toEqual(recordsOn(servers.slice(0, 2))), 30_000);

      await deployTo(servers.map((server) => server.serverId));
      await eventually(() => expect(platformRecords()).toEqual(recordsOn(servers)), 30_000);

      const destroyed = await api.request('DELETE', `/v1/servers/${servers[2].serverId}?force=true`, { token });
      expect(destroyed.status).toBe(202);
      await eventually(() => expect(platformRecords()).toEqual(recordsOn(servers.slice(0, 2))), 60_000);

      const removed = await api.request('DELETE', `/v1/services/${serviceId}/domains/${added.body.domainId}`, {
        token,
      });
      expect(removed.status).toBe(202);
      await eventually(() => expect(platformRecords()).toEqual([]), 30_000);
      // The record someone made by hand in the same zone and name is exactly as it was.
      expect(fakes.cloudflare.recordsOf(hostname)).toEqual([unmanaged]);
      await eventually(() => {
        const types = events.events.map((event) => (JSON.parse(event.data) as { type: string }).type);
        expect(types.filter((type) => type === 'DnsRecordsSet').length).toBeGreaterThanOrEqual(3);
        expect(types).toContain('DomainRemoved');
      });
      expect(fakes.cloudflare.violations).toEqual([]);
    } finally {
      await events.close();
    }
  });
});
