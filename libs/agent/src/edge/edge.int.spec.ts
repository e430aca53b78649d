import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { ensureBaseImages } from '@platform/build';
import { ArchiveContentTypes, DomainError, type ApplyRoutesRequest } from '@platform/contracts';
import { eventually } from '@platform/testing';
import { Agent } from '../agent';
import { buildAgentServer } from '../http-server';
import { readAgentTls } from '../tls';
import { getThroughEdge, startTestAgent, tarGzOf, writeTestApp, type TestAgent } from '../test-support';
import { nginxLayout } from './nginx-config';
import { NginxProcess } from '@platform/nginx';

jest.setTimeout(120_000);

let agent: TestAgent;
let web: string;

async function selfSignedCertificate(hostname: string): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const dir = join(agent.dataDir, `cert-${hostname}`);
  await promisify(execFile)('mkdir', ['-p', dir]);
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${hostname}`,
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  return {
    certificatePem: await readFile(join(dir, 'cert.pem'), 'utf8'),
    privateKeyPem: await readFile(join(dir, 'key.pem'), 'utf8'),
  };
}

function getHttps(port: number, hostname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: hostname,
        headers: { host: hostname },
        rejectUnauthorized: false,
        agent: false,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function refusal(table: ApplyRoutesRequest): Promise<DomainError> {
  const error = await agent.client.applyRoutes(table).catch((caught: unknown) => caught);
  if (!(error instanceof DomainError)) throw new Error(`expected a refusal, got ${JSON.stringify(error)}`);
  return error;
}

beforeAll(async () => {
  await ensureBaseImages(['node']);
  agent = await startTestAgent('edge');
  const source = join(agent.dataDir, 'source');
  await writeTestApp(source);
  const built = await agent.client.buildImage(
    { repository: agent.name('web'), tag: 'deploy_e0000001', service: 'web' },
    { path: await tarGzOf(source, join(agent.dataDir, 'app.tar.gz')), contentType: ArchiveContentTypes.tarGzip },
  );
  web = (
    await agent.client.runContainer({
      name: agent.name('web'),
      image: built.image,
      service: 'web',
      port: 3000,
      env: { VERSION: 'v1' },
    })
  ).name;
  await agent.client.applyRoutes({ routes: [{ hostname: 'app.localhost', upstream: { container: web } }] });
  // Routed without a health check, so wait for the app to listen.
  await eventually(
    async () =>
      expect(await getThroughEdge(agent.edgePort, 'app.localhost')).toMatchObject({
        status: 200,
        body: 'v1 app.localhost',
      }),
    10_000,
    50,
  );
});
afterAll(async () => {
  await agent?.close();
});

describe('a broken route table is refused and the previous configuration keeps serving', () => {
  let routesBefore: string;
  beforeEach(async () => {
    routesBefore = await readFile(nginxLayout(agent.config.nginx.prefix).routesConfig, 'utf8');
  });
  afterEach(async () => {
    expect(await readFile(nginxLayout(agent.config.nginx.prefix).routesConfig, 'utf8')).toBe(routesBefore);
    expect((await agent.client.routes()).routes).toEqual([
      { hostname: 'app.localhost', upstream: { container: web }, tls: false, maxBodyMb: 100 },
    ]);
    await expect(getThroughEdge(agent.edgePort, 'app.localhost')).resolves.toMatchObject({
      status: 200,
      body: 'v1 app.localhost',
    });
  });

  it('an upstream host nginx cannot resolve', async () => {
    const error = await refusal({
      routes: [{ hostname: 'app.localhost', upstream: { host: 'upstream.invalid', port: 80 } }],
    });
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(
      /nginx refused the configuration: .*host not found in upstream "upstream.invalid:80"/,
    );
  });

  it('an upstream container that does not run here', async () => {
    const error = await refusal({
      routes: [{ hostname: 'app.localhost', upstream: { container: 'not-running-here' } }],
    });
    expect(error.message).toBe('the upstream container not-running-here is not running on this server');
  });

  it('a certificate that is not one', async () => {
    const garbage = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a certificate at all').toString('base64')}\n-----END CERTIFICATE-----\n`;
    const { privateKeyPem } = await selfSignedCertificate('bad.localhost');
    const error = await refusal({
      routes: [
        { hostname: 'app.localhost', upstream: { container: web }, tls: { certificatePem: garbage, privateKeyPem } },
      ],
    });
    expect(error.message).toMatch(/nginx refused the configuration: .*cannot load certificate/);
  });

  it('a key that does not belong to the certificate', async () => {
    const one = await selfSignedCertificate('one.localhost');
    const two = await selfSignedCertificate('two.localhost');
    const error = await refusal({
      routes: [
        {
          hostname: 'app.localhost',
          upstream: { container: web },
          tls: { certificatePem: one.certificatePem, privateKeyPem: two.privateKeyPem },
        },
      ],
    });
    expect(error.message).toMatch(/nginx refused the configuration: .*(key values mismatch|PrivateKey)/);
  });

  it('input that could inject nginx directives, before nginx sees it', async () => {
    const error = await refusal({
      routes: [{ hostname: 'app.localhost; include /etc/passwd', upstream: { container: web } }],
    });
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ path: 'routes.0.hostname' })]);
  });
});

describe('the edge', () => {
  it('serves a route with a certificate over HTTPS and redirects plain HTTP there', async () => {
    const tls = await selfSignedCertificate('secure.localhost');
    await agent.client.applyRoutes({
      routes: [
        { hostname: 'app.localhost', upstream: { container: web } },
        { hostname: 'secure.localhost', upstream: { container: web }, tls },
      ],
    });
    const redirect = await getThroughEdge(agent.edgePort, 'secure.localhost', '/path?q=1');
    expect(redirect.status).toBe(301);
    await expect(getHttps(agent.edgeHttpsPort, 'secure.localhost')).resolves.toEqual({
      status: 200,
      body: 'v1 secure.localhost',
    });
    expect((await agent.client.routes()).routes.find((route) => route.hostname === 'secure.localhost')).toMatchObject({
      tls: true,
    });
    expect(JSON.stringify(await agent.client.routes())).not.toContain('PRIVATE KEY');
  });

  it('answers an ACME challenge over plain HTTP for a hostname with no route or an HTTPS one, until it is removed', async () => {
    const tls = await selfSignedCertificate('secure.localhost');
    await agent.client.applyRoutes({
      routes: [
        { hostname: 'app.localhost', upstream: { container: web } },
        { hostname: 'secure.localhost', upstream: { container: web }, tls },
      ],
    });
    const token = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
    const keyAuthorization = `${token}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
    await agent.client.putChallenge(token, keyAuthorization);
    const path = `/.well-known/acme-challenge/${token}`;
    for (const host of ['shop.example.test', 'secure.localhost']) {
      await expect(getThroughEdge(agent.edgePort, host, path)).resolves.toMatchObject({
        status: 200,
        body: keyAuthorization,
      });
    }
    // A plain HTTP route is the app's, all of it: the edge takes no path from it.
    await expect(getThroughEdge(agent.edgePort, 'app.localhost', path)).resolves.toMatchObject({
      body: 'v1 app.localhost',
    });
    // Everything else of a hostname with a certificate still goes to HTTPS, where HSTS is on.
    expect((await getThroughEdge(agent.edgePort, 'secure.localhost', '/.well-known/other')).status).toBe(301);
    await agent.client.removeChallenge(token);
    expect((await getThroughEdge(agent.edgePort, 'shop.example.test', path)).status).toBe(404);
    // A token that could name another file is refused before anything is written.
    const refused = await agent.client.putChallenge('../../conf/nginx.conf', keyAuthorization).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('validation_failed');
  });

  it('accepts long hostnames (server_names_hash_bucket_size 128, more for the longest DNS names)', async () => {
    const main = await readFile(nginxLayout(agent.config.nginx.prefix).mainConfig, 'utf8');
    expect(main).toContain('server_names_hash_bucket_size 128;');
    const long = (index: number) => `${'a'.repeat(60)}.${'b'.repeat(20)}-${index}.localhost`;
    const longest = `${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(50)}.localhost`;
    const routes = Array.from({ length: 40 }, (_, index) => ({ hostname: long(index), upstream: { container: web } }));
    await agent.client.applyRoutes({
      routes: [{ hostname: 'app.localhost', upstream: { container: web } }, ...routes],
    });
    await expect(getThroughEdge(agent.edgePort, long(7))).resolves.toMatchObject({
      status: 200,
      body: `v1 ${long(7)}`,
    });
    await agent.client.applyRoutes({
      routes: [
        { hostname: 'app.localhost', upstream: { container: web } },
        { hostname: longest, upstream: { container: web } },
      ],
    });
    await expect(getThroughEdge(agent.edgePort, longest)).resolves.toMatchObject({
      status: 200,
      body: `v1 ${longest}`,
    });
  });

  it('keeps serving while the agent restarts, and the restarted agent re-attaches to the same nginx with the same routes', async () => {
    const table = { routes: [{ hostname: 'app.localhost', upstream: { container: web } }] };
    await agent.client.applyRoutes(table);
    const nginx = new NginxProcess(agent.config.nginx.bin, nginxLayout(agent.config.nginx.prefix));
    const masterBefore = await nginx.masterPid();
    agent.agent.close();
    await expect(getThroughEdge(agent.edgePort, 'app.localhost')).resolves.toMatchObject({ status: 200 });

    const restarted = await Agent.start(agent.config);
    const server = buildAgentServer(restarted, pino({ level: 'silent' }), await readAgentTls(agent.config.tls));
    try {
      expect(await nginx.masterPid()).toBe(masterBefore);
      expect(restarted.routes()).toEqual([
        { hostname: 'app.localhost', upstream: { container: web }, tls: false, maxBodyMb: 100 },
      ]);
      const version = await server.inject({ method: 'GET', url: '/v1/health' });
      expect(version.statusCode).toBe(401);
    } finally {
      restarted.close();
      await server.close();
    }
  });
});
