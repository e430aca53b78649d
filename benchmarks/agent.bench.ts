/**
 * The node agent on a local server (its own agent process, nginx and loopback address, as `local` servers
 * run): idle memory, nginx reload time, and 20 consecutive cutovers of a prebuilt image under a constant stream
 * of requests through nginx; and what TLS costs an agent call (a new connection's handshake, against a call on
 * a kept-alive one). Run with `npm run bench:agent`; the last line is a JSON summary.
 *
 * Traffic goes only to the server's loopback address. BENCH_CUTOVERS changes the number of cutovers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request, Agent as HttpAgent } from 'node:http';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentClient, closeAgentConnections } from '@platform/agent-client';
import { ensureBaseImages } from '@platform/build';
import { tarGzOf, writeTestApp } from '@platform/build/src/test-support';
import { LocalCloudProvider, type CreatedServer } from '@platform/cloud';
import { ArchiveContentTypes, type CutoverRequest } from '@platform/contracts';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { freePort } from '@platform/testing';

const cutovers = Number(process.env.BENCH_CUTOVERS ?? 20);
const keepAliveCutovers = 5;
const reloads = 20;
const HOST = 'app.localhost';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (value: number) => Math.round(value * 10) / 10;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Sequential GETs through nginx until stopped, from `clients` loops; each loop's answers are kept in order. */
function load(server: CreatedServer, clients: number, keepAlive: boolean) {
  let running = true;
  const agent = keepAlive ? new HttpAgent({ keepAlive: true, maxSockets: clients }) : false;
  const sequences: string[][] = Array.from({ length: clients }, () => []);
  const get = () =>
    new Promise<string>((resolve) => {
      const req = request(
        {
          host: server.publicIp,
          port: server.edge.httpPort,
          path: '/',
          headers: keepAlive ? { host: HOST } : { host: HOST, connection: 'close' },
          agent,
          timeout: 10_000,
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () =>
            resolve(response.statusCode === 200 ? body.split(' ')[0] : `failed:${response.statusCode ?? 0}`),
          );
          response.on('error', (error) => resolve(`failed:${error.message}`));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => resolve(`failed:${error.message}`));
      req.end();
    });
  const started = performance.now();
  const loops = sequences.map(async (sequence) => {
    while (running) sequence.push(await get());
  });
  return {
    sequences,
    async stop() {
      running = false;
      await Promise.all(loops);
      if (agent) agent.destroy();
      const answers = sequences.flat();
      return {
        requests: answers.length,
        failed: answers.filter((answer) => answer.startsWith('failed')).length,
        perSecond: answers.length / ((performance.now() - started) / 1000),
      };
    },
  };
}

/** Version changes seen by one client beyond the one per cutover: answers going back to an older version. */
function extraSwitches(sequence: readonly string[], expected: number): number {
  let switches = 0;
  for (let index = 1; index < sequence.length; index++) {
    if (
      !sequence[index].startsWith('failed') &&
      !sequence[index - 1].startsWith('failed') &&
      sequence[index] !== sequence[index - 1]
    )
      switches++;
  }
  return Math.max(0, switches - expected);
}

/** A new connection to the agent, up to the end of its TLS handshake (the certificate checked against the CA). */
function tlsHandshakeMs(url: string, ca: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = tls.connect({ host: hostname, port: Number(port), ca, minVersion: 'TLSv1.3' }, () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

/** TLS connections this process opens to the agent, counted as they open (the client's pool calls tls.connect). */
function countConnectionsTo(url: string): { readonly count: number } {
  const port = Number(new URL(url).port);
  const counter = { count: 0 };
  const connect = tls.connect;
  tls.connect = ((...args: Parameters<typeof tls.connect>) => {
    if ((args[0] as tls.ConnectionOptions).port === port) counter.count++;
    return connect(...args);
  }) as typeof tls.connect;
  return counter;
}

async function main(): Promise<void> {
  console.log(await ensureBaseImages(['node']));
  const root = await mkdtemp(join(tmpdir(), 'bench-agent-'));
  const { ca } = await PlatformCertificateAuthority.generate();
  const cloud = new LocalCloudProvider({
    ca,
    root,
    agentPort: await freePort(),
    edgeHttpPort: await freePort(),
    edgeHttpsPort: await freePort(),
  });
  const server = await cloud.createServer({ name: 'bench' });
  const connections = countConnectionsTo(server.agentUrl);
  const agent = new AgentClient({ baseUrl: server.agentUrl, secret: server.agentSecret, ca: ca.certificate });
  const { agent: agentProcess } = JSON.parse(await readFile(join(root, server.id, 'server.json'), 'utf8')) as {
    agent: { pid: number };
  };
  console.log(`local server ${server.id} on ${server.publicIp} (agent pid ${agentProcess.pid})`);
  try {
    await sleep(3000);
    const idleRss = await rssMb(agentProcess.pid);
    console.log(`agent idle RSS: ${round(idleRss)} MB`);

    // TLS: a call on a new connection pays the handshake; the client keeps connections alive, so calls after
    // it do not. Measured on the idle agent, before the load.
    const handshakeMs: number[] = [];
    for (let index = 0; index < 20; index++) handshakeMs.push(await tlsHandshakeMs(server.agentUrl, ca.certificate));
    // GET /v1/edge/routes: answered from memory, so the call's cost is the transport's. The connections the
    // provider opened while the agent started are closed first, so the first call opens one.
    closeAgentConnections(server.agentUrl);
    let started = performance.now();
    await agent.routes();
    const firstCallMs = performance.now() - started;
    const reusedCallMs: number[] = [];
    for (let index = 0; index < 20; index++) {
      started = performance.now();
      await agent.routes();
      reusedCallMs.push(performance.now() - started);
    }
    console.log(
      `TLS: handshake on a new connection p50 ${round(percentile(handshakeMs, 50))} ms; GET /v1/edge/routes first call ` +
        `${round(firstCallMs)} ms (new connection), then p50 ${round(percentile(reusedCallMs, 50))} ms (kept alive)`,
    );

    const source = join(root, 'app');
    await writeTestApp(source);
    const { image } = await agent.buildImage(
      { repository: `bench-agent-${server.id.slice(0, 8)}`, tag: 'deploy_be4c0000', service: 'web' },
      { path: await tarGzOf(source, join(root, 'app.tar.gz')), contentType: ArchiveContentTypes.tarGzip },
    );
    const spec = (version: number, replaces?: string): CutoverRequest => ({
      container: {
        name: `bench-${server.id.slice(0, 8)}-v${version}`,
        image,
        service: 'web',
        port: 3000,
        env: { VERSION: `v${version}` },
        healthCheck: { path: '/health', intervalMs: 50, timeoutMs: 1000, startPeriodMs: 10_000 },
      },
      replaces,
      hostnames: [HOST],
      drainTimeoutMs: 10_000,
      stopGraceSeconds: 5,
    });
    await agent.cutover(spec(0));
    let current = 0;

    // nginx reload: the same route table applied again and again (nginx -t, then reload until new workers
    // serve). Spaced out: the nginx master sleeps 100 ms after each reload before it takes the next signal.
    const table = await agent.routes();
    const reloadMs: number[] = [];
    const testMs: number[] = [];
    for (let index = 0; index < reloads; index++) {
      const applied = await agent.applyRoutes({
        routes: table.routes.map((route) => ({ hostname: route.hostname, upstream: route.upstream })),
      });
      reloadMs.push(applied.reloadMs);
      testMs.push(applied.testMs);
      await sleep(250);
    }
    console.log(
      `nginx reload: p50 ${round(percentile(reloadMs, 50))} ms, p95 ${round(percentile(reloadMs, 95))} ms (nginx -t p50 ${round(percentile(testMs, 50))} ms)`,
    );

    // Cutovers under load, a new connection per request (as the deployer's health checks and most proxies do).
    const traffic = load(server, 2, false);
    await sleep(300);
    const connectionsBefore = connections.count;
    const cutoverMs: number[] = [];
    const totalMs: number[] = [];
    for (let index = 0; index < cutovers; index++) {
      const result = await agent.cutover(spec(current + 1, spec(current).container.name));
      current++;
      cutoverMs.push(result.switchedAfterMs);
      totalMs.push(result.durationMs);
      await sleep(200);
    }
    const underLoad = await traffic.stop();
    const cutoverConnections = connections.count - connectionsBefore;
    const anomalies = traffic.sequences.reduce((sum, sequence) => sum + extraSwitches(sequence, cutovers), 0);
    console.log(
      `${cutovers} cutovers: new container started → serving through nginx p50 ${round(percentile(cutoverMs, 50))} ms, p95 ${round(percentile(cutoverMs, 95))} ms; ` +
        `whole cutover (with drain and stop) p50 ${round(percentile(totalMs, 50))} ms`,
    );
    console.log(
      `load during the cutovers: ${underLoad.requests} requests at ${round(underLoad.perSecond)}/s, ${underLoad.failed} failed, ${anomalies} answers out of order`,
    );
    console.log(`agent connections opened for the ${cutovers} cutover calls: ${cutoverConnections}`);

    // The same with keep-alive clients, for information: nginx closes idle kept-alive connections of the
    // workers a reload retires, and a request racing that close fails unless the client retries it.
    const keptAlive = load(server, 2, true);
    await sleep(300);
    for (let index = 0; index < keepAliveCutovers; index++) {
      await agent.cutover(spec(current + 1, spec(current).container.name));
      current++;
      await sleep(200);
    }
    const keepAlive = await keptAlive.stop();
    console.log(
      `keep-alive clients, ${keepAliveCutovers} cutovers: ${keepAlive.requests} requests at ${round(keepAlive.perSecond)}/s, ${keepAlive.failed} failed`,
    );

    await sleep(2000);
    const rssAfter = await rssMb(agentProcess.pid);
    console.log(`agent RSS after the cutovers: ${round(rssAfter)} MB`);

    console.log(
      JSON.stringify({
        cutover_ms_p50: round(percentile(cutoverMs, 50)),
        cutover_ms_p95: round(percentile(cutoverMs, 95)),
        cutover_total_ms_p50: round(percentile(totalMs, 50)),
        cutovers,
        failed_requests: underLoad.failed,
        requests_during_cutovers: underLoad.requests,
        requests_per_second: round(underLoad.perSecond),
        out_of_order_answers: anomalies,
        failed_requests_keepalive_clients: keepAlive.failed,
        nginx_reload_ms: round(percentile(reloadMs, 50)),
        nginx_reload_ms_p95: round(percentile(reloadMs, 95)),
        agent_idle_rss_mb: round(idleRss),
        agent_rss_after_cutovers_mb: round(rssAfter),
        tls_handshake_ms_p50: round(percentile(handshakeMs, 50)),
        agent_call_first_ms: round(firstCallMs),
        agent_call_reused_ms_p50: round(percentile(reusedCallMs, 50)),
        agent_connections_for_cutovers: cutoverConnections,
      }),
    );
  } finally {
    await cloud.deleteServer(server.id);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
