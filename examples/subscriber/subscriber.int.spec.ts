import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Bus } from '@platform/bus';
import { connectTestBus, deleteStreams, testEvent } from '@platform/bus/src/test-support';
import { eventually, testServices, uniqueName } from '@platform/testing';

jest.setTimeout(60_000);

const repoRoot = path.resolve(__dirname, '../..');
const prefix = uniqueName('subscriber');
let bus: Bus;

beforeAll(async () => {
  bus = await connectTestBus(prefix);
  await bus.ensureStreams();
});
afterAll(async () => {
  await deleteStreams(bus);
  await bus.close();
});

/** The example as a person runs it, its lines collected as it prints them. */
function startSubscriber(): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    ['-r', path.join(repoRoot, 'scripts/register.js'), path.join(__dirname, 'main.ts')],
    {
      cwd: repoRoot,
      env: { ...process.env, NATS_URL: testServices.natsUrl, NATS_PREFIX: prefix, CONSUMER: 'printer' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { child, lines };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const succeeded = (deploymentId: string, durationMs: number) =>
  testEvent({ type: 'DeploymentSucceeded', data: { deploymentId, durationMs } });

describe('examples/subscriber', () => {
  it('prints deployments, and after a restart goes on after the last one it printed', async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    await bus.publishEvents([
      succeeded(first, 1200),
      // Another context's event on the same stream: not the subscriber's filter.
      testEvent({ context: 'servers', type: 'ServerReady', data: { serverId: randomUUID(), agentVersion: '0.2.0' } }),
    ]);

    const run = startSubscriber();
    await eventually(
      () => expect(run.lines).toEqual([expect.stringContaining(`deployment ${first.slice(0, 8)}  succeeded in 1.2 s`)]),
      30_000,
    );
    await stop(run.child);

    // Published while it is down: the next run starts with these, and prints nothing of the first run again.
    await bus.publishEvents([
      succeeded(second, 3000),
      testEvent({
        type: 'DeploymentFailed',
        data: { deploymentId: third, serverId: null, reason: 'health check failed', durationMs: 10 },
      }),
    ]);
    const again = startSubscriber();
    await eventually(() => expect(again.lines).toHaveLength(2), 30_000);
    expect(again.lines[0]).toContain(`deployment ${second.slice(0, 8)}  succeeded in 3.0 s`);
    expect(again.lines[1]).toContain(`deployment ${third.slice(0, 8)}  failed: health check failed`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stop(again.child);
    expect(again.lines).toHaveLength(2);
  });
});
