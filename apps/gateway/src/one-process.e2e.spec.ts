import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, freePort, spawnTypeScript, stopProcess, testServices, uniqueName } from '@platform/testing';
import { Client } from 'pg';

jest.setTimeout(240_000);

const SERVICES = ['gateway', 'provisioner', 'deployer', 'metrics', 'dns', 'webhooks'] as const;

/** The services as `npm start` runs them: together in one process (scripts/services.ts), each on its port. */
describe('the services in one process', () => {
  const database = uniqueName('oneprocess');
  let home: string;
  let ports: Record<(typeof SERVICES)[number], number>;
  let services: ChildProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const admin = new Client({ connectionString: testServices.databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    home = await mkdtemp(join(tmpdir(), 'one-process-'));
    ports = {
      gateway: await freePort(),
      provisioner: await freePort(),
      deployer: await freePort(),
      dns: await freePort(),
      webhooks: await freePort(),
      metrics: await freePort(),
    };
    const url = new URL(testServices.databaseUrl);
    url.pathname = `/${database}`;
    env = {
      DATABASE_URL: url.toString(),
      NATS_URL: testServices.natsUrl,
      NATS_PREFIX: database,
      REDIS_PREFIX: `${database}:`,
      PLATFORM_SECRET_KEY: randomBytes(32).toString('hex'),
      PLATFORM_CA_FILE: join(home, 'ca.json'),
      LOCAL_SERVERS_ROOT: join(home, 'servers'),
      UPLOADS_DIR: join(home, 'uploads'),
      METRICS_CAPTURE: 'off',
      PLATFORM_LOGS_DIR: join(home, 'logs'),
      PLATFORM_SERVICES: SERVICES.map((name) => `${name}=${ports[name]}`).join(','),
    };
    services = await spawnTypeScript('scripts/services.ts', env, `http://127.0.0.1:${ports.gateway}/readyz`, {
      timeoutMs: 120_000,
    });
  });

  afterAll(async () => {
    if (services) await stopProcess(services);
    await rm(home, { recursive: true, force: true });
    const admin = new Client({ connectionString: testServices.databaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('serves every service on its own port, each logging to a file of its own, and they work together', async () => {
    for (const name of SERVICES) {
      await eventually(async () => {
        const ready = await fetch(`http://127.0.0.1:${ports[name]}/readyz`);
        expect(ready.status).toBe(200);
      }, 60_000);
    }
    // A command through the gateway reaches the deployer and comes back applied.
    const signup = await fetch(`http://127.0.0.1:${ports.gateway}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'one@example.com', password: 'a long password here', workspaceName: 'one' }),
    });
    expect(signup.status).toBe(201);
    const { token } = (await signup.json()) as { token: string };
    const project = await fetch(`http://127.0.0.1:${ports.gateway}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shop' }),
    });
    expect(project.status).toBe(202);
    expect(project.headers.get('x-command-status')).toBe('applied');
    for (const name of SERVICES) {
      const lines = (await readFile(join(home, 'logs', `${name}.log`), 'utf8')).trim().split('\n');
      const services = new Set(lines.map((line) => (JSON.parse(line) as { service: string }).service));
      expect(services.size).toBe(1);
    }
  });

  it('stops every service on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((done) => services.once('exit', (code) => done(code)));
    services.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const name of SERVICES) {
      await expect(fetch(`http://127.0.0.1:${ports[name]}/readyz`)).rejects.toThrow();
    }
  });

  it('refuses a service it does not know, naming the ones it does', async () => {
    const child = spawn(process.execPath, ['-r', './scripts/register.js', 'scripts/services.ts'], {
      cwd: resolve(__dirname, '../../..'),
      env: { ...process.env, ...env, PLATFORM_SERVICES: 'gateway=1,billing=2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(1);
    expect(stderr).toContain('no service "billing" (known: gateway, provisioner, deployer, metrics, dns, webhooks)');
  });
});
