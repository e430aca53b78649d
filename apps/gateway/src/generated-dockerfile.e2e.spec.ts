import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBaseImages } from '@platform/build';
import { tarGzOf } from '@platform/build/src/test-support';
import { eventually } from '@platform/testing';
import { startStack, type Stack } from './test-support';

jest.setTimeout(300_000);

/** One request through a server's edge with the service's hostname. */
function viaEdge(ip: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = httpRequest(
      { host: ip, port: 80, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done({ status: 0, body: '' }));
    req.end();
  });
}

/** A Node.js app with no Dockerfile: package.json with a start script, and a server listening on PORT. */
const APP_FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'nodockerfile', version: '1.0.0', scripts: { start: 'node server.js' } }),
  'server.js': `
const http = require('http');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('generated ' + process.env.GREETING + ' on ' + process.env.PORT);
});
server.listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
};

describe('a deployment of an upload without a Dockerfile, through the gateway', () => {
  let stack: Stack;
  let scratch: string;

  beforeAll(async () => {
    [stack] = await Promise.all([startStack('gendockerfile'), ensureBaseImages(['node'])]);
    scratch = await mkdtemp(join(tmpdir(), 'generated-dockerfile-e2e-'));
  }, 240_000);

  afterAll(async () => {
    await stack.stop();
    await rm(scratch, { recursive: true, force: true });
  }, 120_000);

  it('builds the app with a generated Dockerfile for the detected stack, serves it through the edge and logs the stack', async () => {
    const { api } = stack;
    const { token } = await api.signup('gendockerfile');
    const { serverId, publicIp: ip } = await api.readyLocalServer(token, 'edge-1');
    const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
      token,
      body: { name: 'generated' },
    });
    await eventually(async () =>
      expect((await api.request('GET', `/v1/projects/${project.body.projectId}`, { token })).status).toBe(200),
    );
    const service = await api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      {
        token,
        body: { name: 'nodockerfile', port: 8080, env: { GREETING: 'hello' } },
      },
    );
    const { serviceId } = service.body;
    await eventually(async () =>
      expect((await api.request('GET', `/v1/services/${serviceId}`, { token })).status).toBe(200),
    );

    const app = join(scratch, 'app');
    await mkdir(app);
    for (const [path, content] of Object.entries(APP_FILES)) await writeFile(join(app, path), content);
    const uploaded = await fetch(`${stack.gateway.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body: await readFile(await tarGzOf(app, join(scratch, 'app.tar.gz'))),
    });
    expect(uploaded.status).toBe(201);
    const { uploadId } = (await uploaded.json()) as { uploadId: string };

    const started = await api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
      token,
      body: { serviceId, source: { type: 'upload', uploadId }, serverIds: [serverId] },
    });
    expect(started.status).toBe(202);
    const { deploymentId } = started.body;
    const ended = await eventually(async () => {
      const view = await api.request<{ status: string; failureReason: string | null }>(
        'GET',
        `/v1/deployments/${deploymentId}`,
        { token },
      );
      expect(['succeeded', 'failed']).toContain(view.body.status);
      return view.body;
    }, 180_000);
    expect(ended).toMatchObject({ status: 'succeeded', failureReason: null });

    expect(await viaEdge(ip, 'nodockerfile.localhost')).toEqual({ status: 200, body: 'generated hello on 8080' });

    const logs = await api.request<{ lines: { step: string; line: string }[] }>(
      'GET',
      `/v1/deployments/${deploymentId}/logs`,
      { token },
    );
    const detected = logs.body.lines.filter((line) => line.step === 'detect').map((line) => line.line);
    expect(detected).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^detected stack: Node\.js \(npm, no lockfile, started with its start script "node server\.js"\)/,
        ),
      ]),
    );
    // The image was built from the generated Dockerfile, which sets the service's port.
    expect(logs.body.lines.some((line) => line.step === 'build' && /ENV PORT=8080/.test(line.line))).toBe(true);
  });
});
