import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBaseImages } from '@platform/build';
import { ArchiveContentTypes, DomainError, type CutoverProgressLine, type CutoverRequest } from '@platform/contracts';
import { docker, loadThroughEdge, runsOf, startTestAgent, tarGzOf, writeTestApp, type TestAgent } from './test-support';

jest.setTimeout(120_000);

const HOST = 'app.localhost';
let agent: TestAgent;
let image: string;

function cutoverTo(
  version: string,
  replaces: string | undefined,
  extra: Partial<CutoverRequest['container']> = {},
): CutoverRequest {
  return {
    container: {
      name: agent.name(`web-${version}`),
      image,
      service: 'web',
      port: 3000,
      env: { VERSION: version },
      healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 1000, retries: 3, startPeriodMs: 5000 },
      ...extra,
    },
    replaces,
    hostnames: [HOST],
    healthTimeoutMs: 20_000,
    drainTimeoutMs: 10_000,
    stopGraceSeconds: 5,
  };
}

async function running(name: string): Promise<boolean> {
  return docker
    .getContainer(name)
    .inspect()
    .then(
      (info) => info.State.Running,
      () => false,
    );
}

beforeAll(async () => {
  await ensureBaseImages(['node']);
  agent = await startTestAgent('cutover');
  const source = join(agent.dataDir, 'source');
  await writeTestApp(source);
  const built = await agent.client.buildImage(
    { repository: agent.name('web'), tag: 'deploy_c0000001', service: 'web' },
    { path: await tarGzOf(source, join(agent.dataDir, 'app.tar.gz')), contentType: ArchiveContentTypes.tarGzip },
  );
  image = built.image;
  // The first deployment: nothing to replace, the route is created.
  await agent.client.cutover(cutoverTo('v1', undefined));
});
afterAll(async () => {
  await agent?.close();
});

const MIN_LOAD_PER_SECOND = 15;

describe('cutover', () => {
  it('switches from v1 to v2 under load with no failed request, answers changing exactly once', async () => {
    const load = loadThroughEdge({ port: agent.edgePort, host: HOST, clients: 2 });
    await sleep(500);
    const progress: CutoverProgressLine[] = [];
    const result = await agent.client.cutover(cutoverTo('v2', agent.name('web-v1')), (line) => progress.push(line));
    await sleep(500);
    const { answers, perSecond } = await load.stop();

    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    // Enough requests through the switch that a gap would have been hit (a loaded machine manages ~25/s).
    expect(perSecond).toBeGreaterThanOrEqual(MIN_LOAD_PER_SECOND);
    for (const sequence of load.sequences) expect(runsOf(sequence)).toEqual(['v1', 'v2']);

    expect(result).toMatchObject({
      type: 'result',
      replaced: agent.name('web-v1'),
      container: { name: agent.name('web-v2'), state: 'running' },
    });
    const steps = progress.filter((line) => line.type === 'step').map((line) => `${line.step}:${line.status}`);
    expect(steps).toEqual([
      'start:started',
      'start:done',
      'health:started',
      'health:done',
      'switch:started',
      'switch:done',
      'drain:started',
      'drain:done',
      'stop:started',
      'stop:done',
    ]);
    expect(await running(agent.name('web-v1'))).toBe(false);
    expect((await agent.client.routes()).routes).toEqual([
      { hostname: HOST, upstream: { container: agent.name('web-v2') }, tls: false, maxBodyMb: 100 },
    ]);
  });

  it('fails with a clear reason when the new version never becomes healthy, and the old one keeps serving', async () => {
    const load = loadThroughEdge({ port: agent.edgePort, host: HOST, clients: 2 });
    await sleep(300);
    const progress: CutoverProgressLine[] = [];
    const failure = await agent.client
      .cutover(
        cutoverTo('v3', agent.name('web-v2'), {
          env: { VERSION: 'v3', HEALTHY: 'false' },
          healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 500, retries: 3, startPeriodMs: 1500 },
        }),
        (line) => progress.push(line),
      )
      .catch((error: unknown) => error);
    await sleep(300);
    const { answers, perSecond } = await load.stop();

    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).message).toMatch(
      /web-v3 is unhealthy: its health check failed 3 times in a row \(last: GET \/health answered 500\)/,
    );
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(perSecond).toBeGreaterThanOrEqual(MIN_LOAD_PER_SECOND);
    for (const sequence of load.sequences) expect(runsOf(sequence)).toEqual(['v2']);
    expect(progress.filter((line) => line.type === 'step').map((line) => `${line.step}:${line.status}`)).toEqual([
      'start:started',
      'start:done',
      'health:started',
      'abort:started',
      'abort:done',
    ]);
    expect(await running(agent.name('web-v3'))).toBe(false);
    expect(await running(agent.name('web-v2'))).toBe(true);
    expect((await agent.client.routes()).routes[0].upstream).toEqual({ container: agent.name('web-v2') });
  });

  it('fails with the exit code and last output of a new version that crashes on start', async () => {
    const failure = await agent.client
      .cutover(
        cutoverTo('v4', agent.name('web-v2'), {
          command: ['node', '-e', 'console.error("cannot connect to the database"); process.exit(7)'],
        }),
      )
      .catch((error: unknown) => error);
    expect((failure as DomainError).message).toMatch(
      /web-v4 stopped \(exit code 7\) before it became healthy; its last output:\ncannot connect to the database/,
    );
    expect(await running(agent.name('web-v2'))).toBe(true);
  });

  it('refuses to replace a container this server does not run', async () => {
    await expect(agent.client.cutover(cutoverTo('v5', 'no-such-container'))).rejects.toThrow(
      /no container no-such-container/,
    );
    expect(await running(agent.name('web-v5'))).toBe(false);
  });
});
