import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { packDirectory } from '@platform/archive';
import { ensureBaseImages } from '@platform/build';
import { eventually, expectRefusal } from '@platform/testing';
import { EventStreamReader, startStack, type SseEvent, type Stack } from './test-support';

jest.setTimeout(300_000);

interface Edge {
  serverId: string;
  ip: string;
}

/** A deployment's URL answers the moment its success arrives, every time: 100 deployments in a row, none a 404. */
const DEPLOYMENTS_IN_A_ROW = 100;

/** One request through a server's edge with the service's hostname, on a new connection. */
function viaEdge(edge: Edge, host: string): Promise<{ status: number; body: string }> {
  return via(edge.ip, 80, host);
}

/** One request to `address:port` naming `host`, as a browser that resolved the hostname there, on a new connection. */
function via(address: string, port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = httpRequest(
      { host: address, port, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 5000 },
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

/** Requests to every edge, 60 per second in all, until stopped: what each answered, in order, and the failures. */
function loadOn(edges: Edge[], host: string) {
  const answers = new Map<string, string[]>(edges.map((edge) => [edge.serverId, []]));
  let failures = 0;
  let running = true;
  const loop = (async () => {
    const pending: Promise<void>[] = [];
    while (running) {
      for (const edge of edges) {
        pending.push(
          viaEdge(edge, host).then((response) => {
            if (response.status !== 200) failures++;
            else answers.get(edge.serverId)?.push(response.body.split(' ')[0]);
          }),
        );
      }
      await sleep(Math.round((1000 / 60) * edges.length));
    }
    await Promise.all(pending);
  })();
  return {
    answers,
    get failures() {
      return failures;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** How many times a sequence of answers changes from one version to another. */
function switches(answers: string[]): number {
  return answers.filter((answer, index) => index > 0 && answer !== answers[index - 1]).length;
}

describe('deployments through the gateway: local cloud, real Docker and nginx', () => {
  let stack: Stack;
  let token: string;
  let serviceId: string;
  let uploadId: string;
  let edges: Edge[];
  const host = 'hello.localhost';
  const deployments: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack('deploys');
    await ensureBaseImages(['node']);
    const { api } = stack;
    ({ token } = await api.signup('deployer'));
    edges = await Promise.all(
      ['edge-1', 'edge-2'].map(async (name) => {
        const { serverId, publicIp } = await api.readyLocalServer(token, name);
        return { serverId, ip: publicIp };
      }),
    );
    const project = await api.request<{ projectId: string }>('POST', '/v1/projects', { token, body: { name: 'demo' } });
    await eventually(async () =>
      expect((await api.request('GET', `/v1/projects/${project.body.projectId}`, { token })).status).toBe(200),
    );
    const service = await api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      {
        token,
        body: { name: 'hello', port: 3000, healthCheckPath: '/health', env: { VERSION: 'v1' } },
      },
    );
    serviceId = service.body.serviceId;
    await eventually(async () =>
      expect((await api.request('GET', `/v1/services/${serviceId}`, { token })).status).toBe(200),
    );

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
  }, 240_000);

  afterAll(() => stack.stop(), 120_000);

  const deploy = (env: Record<string, string>) =>
    stack.api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
      token,
      body: { serviceId, source: { type: 'upload', uploadId }, serverIds: edges.map((e) => e.serverId), env },
    });
  const waitForEnd = (deploymentId: string) =>
    eventually(async () => {
      const view = await stack.api.request<{
        status: string;
        failureReason: string | null;
        servers: { serverId: string; status: string }[];
      }>('GET', `/v1/deployments/${deploymentId}`, { token });
      expect(['succeeded', 'failed']).toContain(view.body.status);
      return view.body;
    }, 180_000);

  /**
   * Deploys with the progress streamed, read as it comes: the moment the success event is in, the app is requested
   * through the front door, before anything else is read. The stream up to there, and that answer.
   */
  const deployStreaming = async (env?: Record<string, string>) => {
    const response = await fetch(`${stack.gateway.url}/v1/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        serviceId,
        source: { type: 'upload', uploadId },
        serverIds: edges.map((e) => e.serverId),
        env,
      }),
    });
    if (!response.headers.get('content-type')?.includes('text/event-stream'))
      throw new Error(`the deployment was not streamed: ${response.status} ${await response.text()}`);
    let stream = '';
    let atSuccess: { status: number; body: string } | undefined;
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      stream += decoder.decode(chunk, { stream: true });
      if (/^event: DeploymentSucceeded$/m.test(stream)) {
        atSuccess = await via(stack.frontDoor.address, stack.frontDoor.port, host);
        break;
      }
      if (/^event: DeploymentFailed$/m.test(stream)) break;
    }
    return { stream, atSuccess };
  };

  it('deploys the sample app from an upload to two servers, streaming its progress, and it answers v1 at once', async () => {
    const { stream, atSuccess } = await deployStreaming();
    // A first deployment: its hostname was routed nowhere before, and answers through the front door already.
    expect(atSuccess?.status).toBe(200);
    expect(atSuccess?.body).toMatch(/^v1 hello\.localhost/);
    const names = [...stream.matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(names[0]).toBe('accepted');
    expect(names.at(-1)).toBe('DeploymentSucceeded');
    expect(names.filter((n) => n === 'ServerSwitched')).toHaveLength(2);
    deployments.v1 = (
      JSON.parse(/^event: accepted\ndata: (.+)$/m.exec(stream)?.[1] ?? '{}') as { deploymentId: string }
    ).deploymentId;

    for (const edge of edges) expect((await viaEdge(edge, host)).body).toMatch(/^v1 hello\.localhost/);
    const logs = await stack.api.request<{ lines: { step: string }[] }>(
      'GET',
      `/v1/deployments/${deployments.v1}/logs`,
      { token },
    );
    expect(logs.body.lines.some((line) => line.step === 'build')).toBe(true);
    const view = await stack.api.request<{ imageTag: string }>('GET', `/v1/deployments/${deployments.v1}`, { token });
    expect(view.body.imageTag).toBe(`deploy_${deployments.v1.replace(/-/g, '').slice(0, 8)}`);
  });

  it('deploys v2 under load with zero failed requests, each server switching once', async () => {
    const load = loadOn(edges, host);
    await sleep(500);
    const started = await deploy({ VERSION: 'v2' });
    deployments.v2 = started.body.deploymentId;
    expect((await waitForEnd(deployments.v2)).status).toBe('succeeded');
    await sleep(500);
    await load.stop();
    expect(load.failures).toBe(0);
    for (const edge of edges) {
      const answers = load.answers.get(edge.serverId) ?? [];
      expect(answers.length).toBeGreaterThan(20);
      expect([answers[0], answers.at(-1), switches(answers)]).toEqual(['v1', 'v2', 1]);
    }
  });

  it('ends a v3 that fails its health check failed, naming the server, with v2 still serving everywhere', async () => {
    const load = loadOn(edges, host);
    const started = await deploy({ VERSION: 'v3', HEALTHY: 'false' });
    const ended = await waitForEnd(started.body.deploymentId);
    await load.stop();
    expect(ended.status).toBe('failed');
    expect(ended.failureReason).toContain(edges[0].serverId);
    expect(load.failures).toBe(0);
    for (const edge of edges) expect((await viaEdge(edge, host)).body).toMatch(/^v2 /);
  });

  it('rolls back to v1: its exact tag and its environment as it was', async () => {
    // The service's own VERSION changes; the rollback must still run v1's environment.
    await stack.api.request('PATCH', `/v1/services/${serviceId}`, {
      token,
      body: { env: { VERSION: 'changed-later' } },
    });
    const events = await EventStreamReader.open(stack.gateway.url, token);
    const rollback = await stack.api.request<{ deploymentId: string }>(
      'POST',
      `/v1/deployments/${deployments.v1}/rollback`,
      { token },
    );
    expect(rollback.status).toBe(202);
    // The moment its success event is in, the front door answers with the version rolled back to.
    const succeeded = (event: SseEvent) =>
      /DeploymentSucceeded$/.test(event.event ?? '') && event.data.includes(rollback.body.deploymentId);
    const deadline = Date.now() + 180_000;
    while (!events.events.some(succeeded) && Date.now() < deadline) await sleep(5);
    const atSuccess = await via(stack.frontDoor.address, stack.frontDoor.port, host);
    await events.close();
    expect(events.events.some(succeeded)).toBe(true);
    expect(atSuccess.status).toBe(200);
    expect(atSuccess.body).toMatch(/^v1 /);
    const ended = await waitForEnd(rollback.body.deploymentId);
    expect(ended.status).toBe('succeeded');
    const view = await stack.api.request<{ imageTag: string; rollbackOf: string }>(
      'GET',
      `/v1/deployments/${rollback.body.deploymentId}`,
      { token },
    );
    expect(view.body).toMatchObject({
      rollbackOf: deployments.v1,
      imageTag: `deploy_${deployments.v1.replace(/-/g, '').slice(0, 8)}`,
    });
    for (const edge of edges) expect((await viaEdge(edge, host)).body).toMatch(/^v1 /);
    const history = await stack.api.request<{ items: { id: string }[] }>(
      'GET',
      `/v1/deployments?serviceId=${serviceId}`,
      { token },
    );
    expect(history.body.items.map((d) => d.id)[0]).toBe(rollback.body.deploymentId);
    expect(history.body.items).toHaveLength(4);
  });

  it('ends a deployment whose deployer was killed mid-way in a terminal state, servers consistent', async () => {
    const started = await deploy({ VERSION: 'v4' });
    await eventually(
      async () => {
        const view = await stack.api.request<{ servers: { status: string }[] }>(
          'GET',
          `/v1/deployments/${started.body.deploymentId}`,
          { token },
        );
        expect(view.body.servers.some((s) => s.status !== 'pending')).toBe(true);
      },
      120_000,
      20,
    );
    await stack.restartDeployer('SIGKILL');
    const ended = await waitForEnd(started.body.deploymentId);
    expect(['succeeded', 'failed']).toContain(ended.status);
    const answers = await Promise.all(edges.map((edge) => viaEdge(edge, host)));
    const versions = answers.map((answer) => answer.body.split(' ')[0]);
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).toBe(ended.status === 'succeeded' ? 'v4' : 'v1');
  });

  it(`answers through the front door with the new version the moment each of ${DEPLOYMENTS_IN_A_ROW} deployments succeeds`, async () => {
    const answers: string[] = [];
    for (let round = 1; round <= DEPLOYMENTS_IN_A_ROW; round++) {
      const { stream, atSuccess } = await deployStreaming({ VERSION: `r${round}` });
      answers.push(
        atSuccess ? `r${round}: ${atSuccess.status} ${atSuccess.body.split(' ')[0]}` : `r${round}: ${stream}`,
      );
    }
    expect(answers).toEqual(
      Array.from({ length: DEPLOYMENTS_IN_A_ROW }, (_, index) => `r${index + 1}: 200 r${index + 1}`),
    );
  }, 1_800_000);

  it('refuses a second deployment while one runs, and hostile input, starting nothing', async () => {
    const first = await deploy({ VERSION: 'v5' });
    await eventually(async () =>
      expect((await stack.api.request('GET', `/v1/deployments/${first.body.deploymentId}`, { token })).status).toBe(
        200,
      ),
    );
    const second = await stack.api.request('POST', '/v1/deployments', {
      token,
      body: {
        serviceId,
        source: { type: 'upload', uploadId },
        serverIds: edges.map((e) => e.serverId),
        env: { VERSION: 'v6' },
      },
    });
    expectRefusal(second, { status: 409, code: 'conflict', message: first.body.deploymentId });
    expect((await waitForEnd(first.body.deploymentId)).status).toBe('succeeded');

    const cases: [unknown, number][] = [
      [
        {
          serviceId,
          source: { type: 'git', url: 'https://github.com/a/b.git', ref: '--upload-pack=touch /tmp/pwned' },
          serverIds: [edges[0].serverId],
        },
        400,
      ],
      [
        {
          serviceId,
          source: { type: 'git', url: 'ext::sh -c touch% /tmp/pwned', ref: 'main' },
          serverIds: [edges[0].serverId],
        },
        400,
      ],
      [{ serviceId, source: { type: 'git', url: 'file:///etc', ref: 'main' }, serverIds: [edges[0].serverId] }, 400],
      [
        { serviceId, source: { type: 'upload', uploadId }, serverIds: [edges[0].serverId], env: { 'BAD=NAME': 'x' } },
        400,
      ],
      [
        { serviceId, source: { type: 'upload', uploadId }, serverIds: [edges[0].serverId], env: { 'BAD\nNAME': 'x' } },
        400,
      ],
      [{ serviceId, source: { type: 'upload', uploadId }, serverIds: ['0b5c1e1a-8d8e-4c7a-9d3e-2a1b0c9d8e7f'] }, 404],
    ];
    for (const [body, status] of cases) {
      const response = await stack.api.request('POST', '/v1/deployments', { token, body });
      expectRefusal(response, {
        case: JSON.stringify(body),
        status,
        code: status === 404 ? 'not_found' : 'validation_failed',
      });
    }
  });
});
