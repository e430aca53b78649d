/**
 * The control plane's memory at rest: `npm start` run as a person runs it, and once it is ready and a few seconds
 * idle, the resident memory of every process it leaves running (npm, the launcher, the services, the console).
 * Then deploy and rollback times on the local cloud: from `POST /v1/deployments` (a prebuilt image) until every
 * server serves the new version, for 1 and 3 servers; failed requests during 10 deploys under load; and the
 * deployer's overhead (the deployment's duration minus the time spent waiting on agents). Images go through the
 * platform's registry (built or taken once, pushed, pulled by digest): a deploy of an image the registry never had
 * to 3 servers, and a rollback onto 3 servers of which one never ran that version (`*_cold_ms`).
 * Run with `npm run bench:deploy`; the last line is a JSON summary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { Pool } from 'pg';
import { packDirectory } from '@platform/archive';
import { Bus } from '@platform/bus';
import { ensureBaseImages } from '@platform/build';
import { LocalCloudProvider } from '@platform/cloud';
import { LocalFrontProxy } from '@platform/deployments';
import { SelfHostedRegistry } from '@platform/registry';
import { freePort, spawnTypeScript, stopProcess } from '@platform/testing';
import { treeMemory } from './process-memory';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const tag = `bench_deploy_${randomUUID().slice(0, 8)}`;
const image = `platform-bench/hello:${tag.slice(-8)}`;

interface Edge {
  ip: string;
}

function get(edge: Edge, host: string): Promise<string | null> {
  return new Promise((done) => {
    const req = httpRequest(
      { host: edge.ip, port: 80, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 3000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done(res.statusCode === 200 ? body.split(' ')[0] : null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(null));
    req.end();
  });
}

/** How long the platform runs idle, once ready, before its memory is read. */
const IDLE_MS = 10_000;

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (response) => response.ok,
    () => false,
  );
}

/**
 * Starts the platform with `npm start`, in a database, NATS prefix, ports and home of its own, and reads the memory
 * of what it runs once ready and idle. PostgreSQL, NATS, Redis, Docker and nginx are the machine's services,
 * shared, and not counted.
 */
async function controlPlaneIdleMemory(pool: Pool): Promise<{ rssMb: number; pssMb: number }> {
  const database = `${tag}_platform`;
  const home = await mkdtemp(join(tmpdir(), 'bench-platform-home-'));
  const ports = {
    provisioner: await freePort(),
    deployer: await freePort(),
    metrics: await freePort(),
    gateway: await freePort(),
    web: await freePort(),
    registry: await freePort(),
  };
  await pool.query(`CREATE DATABASE ${database}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const platform = spawn('npm', ['start'], {
    cwd: resolve(__dirname, '..'),
    env: {
      ...process.env,
      PLATFORM_HOME: home,
      DATABASE_URL: url.toString(),
      NATS_URL: natsUrl,
      NATS_PREFIX: database,
      REDIS_PREFIX: `${database}:`,
      PROVISIONER_PORT: String(ports.provisioner),
      DEPLOYER_PORT: String(ports.deployer),
      METRICS_PORT: String(ports.metrics),
      GATEWAY_PORT: String(ports.gateway),
      WEB_PORT: String(ports.web),
      REGISTRY_PORT: String(ports.registry),
    },
    // A process group of its own, stopped as Ctrl-C in a terminal stops it.
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let running = true;
  const exited = new Promise((done) => platform.once('exit', done)).finally(() => (running = false));
  try {
    const readyUrls = [
      `http://127.0.0.1:${ports.gateway}/readyz`,
      `http://127.0.0.1:${ports.web}/readyz`,
      `http://127.0.0.1:${ports.provisioner}/readyz`,
      `http://127.0.0.1:${ports.deployer}/readyz`,
      `http://127.0.0.1:${ports.metrics}/readyz`,
    ];
    // The first start may build the console (a few minutes on a busy machine).
    const deadline = Date.now() + 600_000;
    while (!(await Promise.all(readyUrls.map(answers))).every(Boolean)) {
      if (!running) throw new Error(`npm start exited (${platform.exitCode ?? platform.signalCode}); see above`);
      if (Date.now() > deadline) throw new Error(`npm start was not ready within 600 s: ${readyUrls.join(', ')}`);
      await sleep(500);
    }
    await sleep(IDLE_MS);
    const processes = treeMemory(platform.pid ?? 0);
    console.log(
      `control plane at rest (${IDLE_MS / 1000} s after ready): every process \`npm start\` left running, not the ` +
        `machine's PostgreSQL, NATS, Redis, Docker and nginx`,
    );
    for (const { pid, command, rssMb, pssMb } of processes)
      console.log(
        `  ${rssMb.toFixed(1).padStart(6)} MB RSS ${pssMb.toFixed(1).padStart(6)} MB PSS  ${String(pid).padStart(7)}  ${command.slice(0, 90)}`,
      );
    const rssMb = processes.reduce((sum, { rssMb }) => sum + rssMb, 0);
    const pssMb = processes.reduce((sum, { pssMb }) => sum + pssMb, 0);
    console.log(
      `control plane idle: ${rssMb.toFixed(0)} MB RSS in ${processes.length} processes (target ≤ 350); ` +
        `${pssMb.toFixed(0)} MB PSS, where the Node.js binary's pages the processes share count once`,
    );
    return { rssMb, pssMb };
  } finally {
    if (running) process.kill(-(platform.pid ?? 0), 'SIGINT');
    await exited;
    // `npm start` leaves its front door serving, as for its local servers; this one's home is about to go, and its
    // nginx would hold 127.0.0.1:80 from the next `npm run demo`.
    await new LocalFrontProxy(join(home, 'front')).stop();
    // Its registry outlives it too.
    await SelfHostedRegistry.stopIn(join(home, 'registry'));
    await rm(home, { recursive: true, force: true });
    await pool.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    const bus = await Bus.connect({ servers: natsUrl, prefix: database });
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const)
      await bus.manager.streams.delete(bus.subjects.stream(stream)).catch(() => undefined);
    await bus.close();
  }
}

/** Builds the sample app as `tag`; a `marker` label makes an image (and a digest) no other has. */
async function buildImageFrom(docker: Dockerode, tag: string, marker?: string): Promise<void> {
  const build = await docker.buildImage(
    packDirectory(resolve(__dirname, '../examples/hello')) as unknown as NodeJS.ReadableStream,
    { t: tag, ...(marker ? { labels: { 'io.platform.bench-marker': marker } } : {}) },
  );
  await new Promise((done, fail) =>
    docker.modem.followProgress(build, (error) => (error ? fail(error) : done(undefined))),
  );
}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl });
  const children: ChildProcess[] = [];
  const serversRoot = await mkdtemp(join(tmpdir(), 'bench-servers-'));
  const uploads = await mkdtemp(join(tmpdir(), 'bench-uploads-'));
  const registryDir = await mkdtemp(join(tmpdir(), 'bench-registry-'));
  const key = randomBytes(32).toString('hex');
  const common = {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    NATS_PREFIX: tag,
    LOG_LEVEL: 'error',
    PLATFORM_SECRET_KEY: key,
    PLATFORM_CA_FILE: join(serversRoot, 'platform-ca.json'),
  };
  try {
    const idle = await controlPlaneIdleMemory(pool);
    await ensureBaseImages(['node']);
    console.error('· base image ready');
    const docker = new Dockerode();
    await buildImageFrom(docker, image);

    const ports = {
      provisioner: await freePort(),
      deployer: await freePort(),
      gateway: await freePort(),
      registry: await freePort(),
    };
    children.push(
      await spawnTypeScript(
        'apps/provisioner/src/main.ts',
        {
          ...common,
          DATABASE_SCHEMA: `${tag}_srv`,
          HTTP_PORT: String(ports.provisioner),
          LOCAL_SERVERS_ROOT: serversRoot,
          PROVISION_POLL_MS: '200',
        },
        `http://127.0.0.1:${ports.provisioner}/readyz`,
      ),
      await spawnTypeScript(
        'apps/deployer/src/main.ts',
        {
          ...common,
          DATABASE_SCHEMA: `${tag}_dep`,
          HTTP_PORT: String(ports.deployer),
          UPLOADS_DIR: uploads,
          REGISTRY_DIR: registryDir,
          REGISTRY_PORT: String(ports.registry),
        },
        `http://127.0.0.1:${ports.deployer}/readyz`,
      ),
      await spawnTypeScript(
        'apps/gateway/src/main.ts',
        {
          ...common,
          GATEWAY_PORT: String(ports.gateway),
          IDENTITY_SCHEMA: `${tag}_id`,
          GATEWAY_SCHEMA: `${tag}_gw`,
          REDIS_PREFIX: `${tag}:`,
          UPLOADS_DIR: uploads,
          // Polls and deploys as fast as it can with one token.
          API_RATE_LIMIT_PER_MINUTE: '1000000',
        },
        `http://127.0.0.1:${ports.gateway}/readyz`,
      ),
    );
    const gateway = `http://127.0.0.1:${ports.gateway}`;
    const call = async <T>(method: string, path: string, token?: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${gateway}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await response.json()) as T;
    };
    const until = async <T>(probe: () => Promise<T | undefined>, what = 'a step'): Promise<T> => {
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        const value = await probe();
        if (value !== undefined) return value;
        await sleep(20);
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const { token } = await call<{ token: string }>('POST', '/v1/auth/signup', undefined, {
      email: `${tag}@example.com`,
      password: 'benchmark password',
      workspaceName: 'bench',
    });
    const serverIds = await Promise.all(
      [1, 2, 3].map(
        async (n) =>
          (await call<{ serverId: string }>('POST', '/v1/servers', token, { provider: 'local', name: `bench-${n}` }))
            .serverId,
      ),
    );
    const edges = await Promise.all(
      serverIds.map((id) =>
        until(async () => {
          const view = await call<{ status: string; publicIp: string }>('GET', `/v1/servers/${id}`, token);
          return view.status === 'ready' ? { id, ip: view.publicIp } : undefined;
        }),
      ),
    );
    const { projectId } = await call<{ projectId: string }>('POST', '/v1/projects', token, { name: 'bench' });
    await until(async () =>
      (await fetch(`${gateway}/v1/projects/${projectId}`, { headers: { authorization: `Bearer ${token}` } })).ok
        ? true
        : undefined,
    );
    const makeService = async (name: string) => {
      const { serviceId } = await call<{ serviceId: string }>('POST', `/v1/projects/${projectId}/services`, token, {
        name,
        port: 3000,
        healthCheckPath: '/health',
      });
      await until(async () =>
        (await fetch(`${gateway}/v1/services/${serviceId}`, { headers: { authorization: `Bearer ${token}` } })).ok
          ? true
          : undefined,
      );
      return { id: serviceId, host: `${name}.localhost` };
    };

    let version = 0;
    /** Deploys (or rolls back) and returns the time until every edge serves `expected`, and the deployer's share. */
    const measure = async (
      host: string,
      targets: typeof edges,
      start: () => Promise<{ deploymentId: string }>,
      expected: string,
    ) => {
      const started = performance.now();
      const { deploymentId } = await start();
      await until(
        async () =>
          (await Promise.all(targets.map((edge) => get(edge, host)))).every((answer) => answer === expected)
            ? true
            : undefined,
        `${expected} on every edge`,
      );
      const servingMs = performance.now() - started;
      const done = await until(async () => {
        const view = await call<{ status: string; durationMs: number | null }>(
          'GET',
          `/v1/deployments/${deploymentId}`,
          token,
        );
        return view.status === 'succeeded'
          ? view
          : view.status === 'failed'
            ? Promise.reject(new Error(`deployment ${deploymentId} failed`))
            : undefined;
      });
      // Images are prepared on all servers at once (the longest counts); cutovers go batch after batch.
      const { rows } = await pool.query<{ agent_ms: number }>(
        `SELECT coalesce(max((data->>'agentMs')::float8) FILTER (WHERE type = 'ImageReady'), 0)
              + coalesce(sum((data->>'agentMs')::float8) FILTER (WHERE type = 'ServerSwitched'), 0) AS agent_ms
           FROM ${tag}_dep.events WHERE data->>'deploymentId' = $1`,
        [deploymentId],
      );
      return { deploymentId, servingMs, totalMs: done.durationMs ?? servingMs, agentMs: Number(rows[0].agent_ms) };
    };
    const deploy = (service: { id: string; host: string }, targets: typeof edges, source = image) => {
      version++;
      const v = `v${version}`;
      return measure(
        service.host,
        targets,
        () =>
          call('POST', '/v1/deployments', token, {
            serviceId: service.id,
            source: { type: 'image', image: source },
            serverIds: targets.map((e) => e.id),
            env: { VERSION: v },
          }),
        v,
      );
    };

    const single = await makeService('bench');
    const one = await deploy(single, edges.slice(0, 1));
    const triple = await makeService('bench3');
    // The first deployment of a service on 3 servers has nothing to replace; measure the second, as in daily use.
    const firstOfThree = await deploy(triple, edges);
    const three = await deploy(triple, edges);
    const rollback = await measure(
      triple.host,
      edges,
      () => call('POST', `/v1/deployments/${firstOfThree.deploymentId}/rollback`, token),
      `v${version - 1}`,
    );
    // Cold: an image the registry has never had (labels of its own, so a digest of its own), pushed once and pulled by digest on 3 servers
    // that never ran it; then a rollback onto 3 servers of which one never ran the version rolled back to. Local
    // servers share this machine's engine, so layers it holds are not downloaded again; each pull still asks the
    // registry for the digest's manifest.
    const coldImage = `${image}-cold`;
    await buildImageFrom(docker, coldImage, randomUUID());
    const cold = await makeService('bench3cold');
    const deployCold = await deploy(cold, edges, coldImage);
    const onTwo = await deploy(cold, edges.slice(0, 2));
    await deploy(cold, edges);
    const rollbackCold = await measure(
      cold.host,
      edges,
      () =>
        call(
          'POST',
          `/v1/deployments/${onTwo.deploymentId}/rollback?serverIds=${edges.map((edge) => edge.id).join(',')}`,
          token,
        ),
      `v${version - 1}`,
    );
    console.log(`deploy, 1 server:   serving after ${one.servingMs.toFixed(0)} ms`);
    console.log(`deploy, 3 servers:  serving after ${three.servingMs.toFixed(0)} ms`);
    console.log(`rollback, 3 servers: serving after ${rollback.servingMs.toFixed(0)} ms (target < 3000)`);
    console.log(`deploy, 3 cold servers: serving after ${deployCold.servingMs.toFixed(0)} ms (target < 10000)`);
    console.log(
      `rollback, 3 servers, one never ran it: serving after ${rollbackCold.servingMs.toFixed(0)} ms (target < 5000)`,
    );

    // Ten deploys under load, each edge asked ~20 times a second on fresh connections.
    let failed = 0;
    let requests = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        const answers = await Promise.all(edges.map((edge) => get(edge, triple.host)));
        requests += answers.length;
        failed += answers.filter((answer) => answer === null).length;
        await sleep(50);
      }
    })();
    const overheads: number[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await deploy(triple, edges);
      overheads.push((result.totalMs - result.agentMs) / result.totalMs);
    }
    loading = false;
    await load;
    const overhead = overheads.reduce((a, b) => a + b, 0) / overheads.length;
    console.log(
      `10 deploys on 3 servers under load: ${failed} failed of ${requests} requests; deployer overhead ${(overhead * 100).toFixed(1)}% of the deployment time (target < 10%)`,
    );
    console.log(
      JSON.stringify({
        deploy_1_server_ms: Math.round(one.servingMs),
        deploy_3_servers_ms: Math.round(three.servingMs),
        rollback_3_servers_ms: Math.round(rollback.servingMs),
        deploy_3_cold_ms: Math.round(deployCold.servingMs),
        rollback_3_cold_ms: Math.round(rollbackCold.servingMs),
        failed_requests: failed,
        requests_under_load: requests,
        overhead_ratio: Number(overhead.toFixed(3)),
        control_plane_idle_mb: Math.round(idle.rssMb),
        control_plane_idle_pss_mb: Math.round(idle.pssMb),
      }),
    );
  } finally {
    await Promise.all(children.map(stopProcess));
    const cloud = new LocalCloudProvider({ root: serversRoot });
    for (const server of await cloud.listServers()) await cloud.deleteServer(server.id);
    await rm(serversRoot, { recursive: true, force: true });
    await rm(uploads, { recursive: true, force: true });
    await SelfHostedRegistry.stopIn(registryDir);
    await rm(registryDir, { recursive: true, force: true });
    for (const suffix of ['srv', 'dep', 'id', 'gw']) await pool.query(`DROP SCHEMA IF EXISTS ${tag}_${suffix} CASCADE`);
    await pool.end();
    const bus = await Bus.connect({ servers: natsUrl, prefix: tag });
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const)
      await bus.manager.streams.delete(bus.subjects.stream(stream)).catch(() => undefined);
    await bus.close();
    for (const made of [image, `${image}-cold`])
      await new Dockerode()
        .getImage(made)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
