import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBaseImages } from '@platform/build';
import { tarGzOf } from '@platform/build/src/test-support';
import { eventually } from '@platform/testing';
import { startStack, type Stack } from './test-support';

jest.setTimeout(300_000);

const COMPILE_ERROR = "src/main.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.";

/** A Node.js server app whose build fails the way a TypeScript compile error does. */
const APP_FILES: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'brokenbuild',
    version: '1.0.0',
    scripts: { build: 'node compile.js', start: 'node server.js' },
  }),
  'compile.js': `console.log('compiling src/main.ts');\nconsole.error(${JSON.stringify(COMPILE_ERROR)});\nprocess.exit(1);\n`,
  'server.js': `require('http').createServer((req, res) => res.end('never built')).listen(Number(process.env.PORT));\n`,
};

describe('a deployment whose build fails on a compile error, through the gateway', () => {
  let stack: Stack;
  let scratch: string;

  beforeAll(async () => {
    [stack] = await Promise.all([startStack('failedbuild'), ensureBaseImages(['node'])]);
    scratch = await mkdtemp(join(tmpdir(), 'failed-build-e2e-'));
  }, 240_000);

  afterAll(async () => {
    await stack.stop();
    await rm(scratch, { recursive: true, force: true });
  }, 120_000);

  it('shows the compile error in the live stream, in the log and in the failure reason', async () => {
    const { api } = stack;
    const { token } = await api.signup('failedbuild');
    const { serverId } = await api.readyLocalServer(token, 'edge-1');
    const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
      token,
      body: { name: 'broken' },
    });
    await eventually(async () =>
      expect((await api.request('GET', `/v1/projects/${project.body.projectId}`, { token })).status).toBe(200),
    );
    const service = await api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      { token, body: { name: 'brokenbuild', port: 8080 } },
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

    const response = await fetch(`${stack.gateway.url}/v1/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ serviceId, source: { type: 'upload', uploadId }, serverIds: [serverId] }),
    });
    const stream = await response.text();
    const frames = [...stream.matchAll(/^event: (.+)\ndata: (.+)$/gm)].map(([, event, data]) => ({ event, data }));
    expect(frames.at(-1)?.event).toBe('DeploymentFailed');
    const streamedLines = frames
      .filter((frame) => frame.event === 'DeploymentLogged')
      .flatMap((frame) => (JSON.parse(frame.data) as { data: { lines: string[] } }).data.lines);
    expect(streamedLines).toEqual(expect.arrayContaining(['compiling src/main.ts', COMPILE_ERROR]));

    const { deploymentId } = JSON.parse(frames[0].data) as { deploymentId: string };
    const logs = await api.request<{ lines: { step: string; line: string }[] }>(
      'GET',
      `/v1/deployments/${deploymentId}/logs`,
      { token },
    );
    const built = logs.body.lines.filter((line) => line.step === 'build').map((line) => line.line);
    expect(built).toEqual(expect.arrayContaining(['compiling src/main.ts', COMPILE_ERROR]));

    const view = await api.request<{ status: string; failureReason: string }>(
      'GET',
      `/v1/deployments/${deploymentId}`,
      { token },
    );
    expect(view.body.status).toBe('failed');
    expect(view.body.failureReason).toMatch(/build failed: npm run build .*exited 1:\n/);
    expect(view.body.failureReason).toContain(COMPILE_ERROR);
  });
});
