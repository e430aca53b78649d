import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBaseImages } from '@platform/build';
import { tarGzOf } from '@platform/build/src/test-support';
import { eventually } from '@platform/testing';
import { startStack, type Stack } from '../test-support';

jest.setTimeout(600_000);

const HELLO = resolve(__dirname, '../../../../examples/hello');
/** About 5 MB of build output: one 2.5 MB line, then 30,000 lines of 86 bytes; then the build goes on a while. */
const FLOODING_DOCKERFILE = `FROM platform/node:20
RUN node -e 'process.stdout.write("x".repeat(2500000) + "\\n"); for (let i = 0; i < 30000; i++) console.log(String(i).padStart(5, "0") + " " + "y".repeat(80));' && sleep 60
WORKDIR /app
COPY server.js ./
ENV PORT=3000
CMD ["node", "server.js"]
`;

interface Arrival {
  readonly type: string;
  /** When the deployer recorded the event, and when it arrived on this stream (the same machine's clock). */
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly data: { deploymentId: string; lines?: string[] };
}

/** Requests a deployment and follows it on its event stream, noting when each event arrives. */
function follow(stack: Stack, token: string, body: object): { arrivals: Arrival[]; ended: Promise<void> } {
  const arrivals: Arrival[] = [];
  const ended = (async () => {
    const response = await fetch(`${stack.gateway.url}/v1/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const receivedAt = Date.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        const envelope = data
          ? (JSON.parse(data) as { type?: string; occurredAt?: string; data?: Arrival['data'] })
          : {};
        if (envelope.type && envelope.occurredAt && envelope.data)
          arrivals.push({
            type: envelope.type,
            occurredAt: Date.parse(envelope.occurredAt),
            receivedAt,
            data: envelope.data,
          });
      }
    }
  })();
  return { arrivals, ended };
}

const loggedBytes = (arrivals: readonly Arrival[]) =>
  arrivals.flatMap((arrival) => arrival.data.lines ?? []).reduce((sum, line) => sum + Buffer.byteLength(line), 0);

describe("one workspace's 5 MB of build output", () => {
  let stack: Stack;
  let scratch: string;

  beforeAll(async () => {
    [stack] = await Promise.all([startStack('bounds'), ensureBaseImages(['node'])]);
    scratch = await mkdtemp(join(tmpdir(), 'bounds-e2e-'));
  }, 240_000);

  afterAll(async () => {
    await stack.stop();
    await rm(scratch, { recursive: true, force: true });
  }, 120_000);

  /** A workspace with a ready local server, a service and an upload of `dir`. */
  async function tenant(label: string, dir: string) {
    const { api } = stack;
    const { token } = await api.signup(label);
    const { serverId } = await api.readyLocalServer(token, `${label}-1`);
    const project = await api.request<{ projectId: string }>('POST', '/v1/projects', { token, body: { name: label } });
    await eventually(async () =>
      expect((await api.request('GET', `/v1/projects/${project.body.projectId}`, { token })).status).toBe(200),
    );
    const service = await api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      {
        token,
        body: { name: label, port: 3000 },
      },
    );
    const { serviceId } = service.body;
    await eventually(async () =>
      expect((await api.request('GET', `/v1/services/${serviceId}`, { token })).status).toBe(200),
    );
    const uploaded = await fetch(`${stack.gateway.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body: await readFile(await tarGzOf(dir, join(scratch, `${label}.tar.gz`))),
    });
    expect(uploaded.status).toBe(201);
    const { uploadId } = (await uploaded.json()) as { uploadId: string };
    return { token, deployment: { serviceId, source: { type: 'upload', uploadId }, serverIds: [serverId] } };
  }

  it("does not hold back another workspace's live deployment, and is kept bounded in the log", async () => {
    const flooding = join(scratch, 'flooding');
    await mkdir(flooding);
    await writeFile(join(flooding, 'Dockerfile'), FLOODING_DOCKERFILE);
    await copyFile(join(HELLO, 'server.js'), join(flooding, 'server.js'));
    const [attacker, neighbour] = await Promise.all([tenant('flooder', flooding), tenant('neighbour', HELLO)]);

    const flood = follow(stack, attacker.token, attacker.deployment);
    // The flood has begun: the first 256 KiB of it are recorded live.
    await eventually(() => expect(loggedBytes(flood.arrivals)).toBeGreaterThan(200 * 1024), 120_000);

    const live = follow(stack, neighbour.token, neighbour.deployment);
    await Promise.race([
      live.ended,
      sleep(90_000).then(() => {
        throw new Error(
          `the neighbour's deployment did not end in 90 s; its stream showed ${live.arrivals.length} events`,
        );
      }),
    ]);
    expect(live.arrivals.at(-1)?.type).toBe('DeploymentSucceeded');
    // It all happened while the flooding build still ran.
    expect(flood.arrivals.filter((arrival) => arrival.type !== 'DeploymentLogged').map((a) => a.type)).toEqual([
      'DeploymentRequested',
    ]);
    // Each event reached the neighbour's stream within a second of being recorded.
    const lagsMs = live.arrivals.map((arrival) => arrival.receivedAt - arrival.occurredAt);
    process.stdout.write(
      `neighbour's events: ${lagsMs.length}, lag from recorded to streamed: max ${Math.max(...lagsMs)} ms, median ${lagsMs.sort((a, b) => a - b)[Math.floor(lagsMs.length / 2)]} ms\n`,
    );
    expect(Math.max(...lagsMs)).toBeLessThan(1000);

    await flood.ended;
    const logs = await stack.api.request<{ lines: { step: string; line: string }[] }>(
      'GET',
      `/v1/deployments/${flood.arrivals[0].data.deploymentId}/logs`,
      { token: attacker.token },
    );
    const built = logs.body.lines.filter((line) => line.step === 'build').map((line) => line.line);
    expect(built.join('\n').length).toBeLessThan(2 * 256 * 1024 + 10 * 1024);
    expect(built).toContainEqual(expect.stringMatching(/^… \d+ lines \(\d+ KiB\) of output were dropped here/));
    // The end of the output is kept.
    expect(built).toContainEqual(`29999 ${'y'.repeat(80)}`);
  });
});
