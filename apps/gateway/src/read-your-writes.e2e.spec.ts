import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { packDirectory } from '@platform/archive';
import { ensureBaseImages } from '@platform/build';
import { eventually } from '@platform/testing';
import { EventStreamReader, startStack, type ApiResponse, type Stack } from './test-support';

jest.setTimeout(300_000);

/**
 * Rounds of create project → add service → upload → deploy sent back to back. 50 as the issue asks; each round's
 * deployment fails its build at once (a Dockerfile that cannot run), so the rounds cost requests, not builds.
 */
const ROUNDS = 50;

async function tarGz(directory: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'read-your-writes-'));
  const archive = join(dir, 'app.tar.gz');
  await pipeline(
    packDirectory(directory) as unknown as NodeJS.ReadableStream,
    createGzip(),
    createWriteStream(archive),
  );
  const bytes = await readFile(archive);
  await rm(dir, { recursive: true, force: true });
  return bytes;
}

/** A command's answer: 202, and applied before it left. */
function expectApplied(response: ApiResponse, step: string): void {
  expect({
    step,
    status: response.status,
    applied: response.headers.get('x-command-status'),
    body: response.body,
  }).toEqual({ step, status: 202, applied: 'applied', body: response.body });
}

describe('read your own writes: a command answered 202 is there for the next request', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('ryow');
    await ensureBaseImages(['node']);
  }, 240_000);

  afterAll(() => stack.stop(), 120_000);

  async function upload(token: string, archive: Buffer): Promise<string> {
    const uploaded = await fetch(`${stack.gateway.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body: archive,
    });
    expect(uploaded.status).toBe(201);
    return ((await uploaded.json()) as { uploadId: string }).uploadId;
  }

  it("runs the README's first session as written, each step right after the one before", async () => {
    const { api } = stack;
    const { token } = await api.signup('first-session');
    const events = await EventStreamReader.open(stack.gateway.url, token);
    try {
      const server = await api.request<{ serverId: string }>('POST', '/v1/servers', {
        token,
        body: { provider: 'local', name: 'web-1' },
      });
      expectApplied(server, 'server');
      const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
        token,
        body: { name: 'shop' },
      });
      expectApplied(project, 'project');
      const service = await api.request<{ serviceId: string }>(
        'POST',
        `/v1/projects/${project.body.projectId}/services`,
        { token, body: { name: 'web', port: 3000, healthCheckPath: '/health', env: { GREETING: 'hi' } } },
      );
      expectApplied(service, 'service');
      const uploadId = await upload(token, await tarGz(resolve(__dirname, '../../../examples/hello')));

      // Straight on, as the README does: the deployment waits for the server still coming up.
      const deployment = await fetch(`${stack.gateway.url}/v1/deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({
          serviceId: service.body.serviceId,
          source: { type: 'upload', uploadId },
          serverIds: [server.body.serverId],
        }),
      });
      const stream = await deployment.text();
      expect([...stream.matchAll(/^event: (.+)$/gm)].map((match) => match[1]).at(-1)).toBe('DeploymentSucceeded');
      await eventually(() => expect(events.events.map((event) => event.event)).toContain('ServerReady'));
    } finally {
      await events.close();
    }
  });

  it('answers 202 pending when the service does not apply the command in time, and keeps the command', async () => {
    const { api } = stack;
    const { token } = await api.signup('paused');
    const asyncProject = await api.request('POST', '/v1/projects', {
      token,
      body: { name: 'no-wait' },
      headers: { prefer: 'respond-async' },
    });
    expect([asyncProject.status, asyncProject.headers.get('x-command-status')]).toEqual([202, 'pending']);

    stack.deployer.kill('SIGSTOP');
    let project: ApiResponse<{ projectId: string }>;
    try {
      project = await api.request<{ projectId: string }>('POST', '/v1/projects', { token, body: { name: 'later' } });
    } finally {
      stack.deployer.kill('SIGCONT');
    }
    expect([project.status, project.headers.get('x-command-status')]).toEqual([202, 'pending']);
    await eventually(async () =>
      expect((await api.request('GET', `/v1/projects/${project.body.projectId}`, { token })).status).toBe(200),
    );
  });

  it(`creates a project, adds a service, uploads and deploys, back to back, ${ROUNDS} times: never a 404`, async () => {
    const { api } = stack;
    const { token } = await api.signup('rounds');
    const server = await api.readyLocalServer(token, 'rounds-1');
    const source = await mkdtemp(join(tmpdir(), 'unbuildable-'));
    await writeFile(join(source, 'Dockerfile'), 'FROM scratch\nRUN false\n');
    const archive = await tarGz(source);
    await rm(source, { recursive: true, force: true });

    for (let round = 0; round < ROUNDS; round++) {
      const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
        token,
        body: { name: `shop-${round}` },
      });
      expectApplied(project, `project ${round}`);
      const service = await api.request<{ serviceId: string }>(
        'POST',
        `/v1/projects/${project.body.projectId}/services`,
        { token, body: { name: `web-${round}`, port: 3000 } },
      );
      expectApplied(service, `service ${round}`);
      const uploadId = await upload(token, archive);
      const deployment = await api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
        token,
        body: {
          serviceId: service.body.serviceId,
          source: { type: 'upload', uploadId },
          serverIds: [server.serverId],
        },
      });
      expectApplied(deployment, `deployment ${round}`);
      const view = await api.request('GET', `/v1/deployments/${deployment.body.deploymentId}`, { token });
      expect({ round, status: view.status }).toEqual({ round, status: 200 });
    }
  });
});
