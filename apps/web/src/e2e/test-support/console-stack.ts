import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Bus } from '@platform/bus';
import { LocalCloudProvider } from '@platform/cloud';
import { createTestSchema, freePort, spawnTypeScript, stopProcess, testServices, uniqueName } from '@platform/testing';

const repoRoot = path.resolve(__dirname, '../../../../..');
const webRoot = path.join(repoRoot, 'apps/web');
const nextBin = require.resolve('next/dist/bin/next', { paths: [webRoot] });
/** The tests' own build directory, so a console served from the usual one is left alone. */
const DEFAULT_DIST_DIR = 'dist/e2e';

export interface ConsoleStack {
  /** The console, which also answers the API under /v1 (it forwards to the gateway). */
  readonly consoleUrl: string;
  readonly gatewayUrl: string;
  /** The deployer's schema: its read model `deployments` lives there (the benchmark seeds history into it). */
  readonly schemas: {
    readonly identity: string;
    readonly gateway: string;
    readonly deployments: string;
    readonly servers: string;
    readonly webhooks: string;
  };
  stop(): Promise<void>;
}

/** Runs `next` in apps/web and collects its output, for the error message when something fails. */
function runNext(
  args: string[],
  env: NodeJS.ProcessEnv,
  distDir: string,
): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [nextBin, ...args], {
    cwd: webRoot,
    env: { ...process.env, ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => output };
}

/** `next build` (production, with its type check of the .tsx sources). */
function buildConsole(distDir: string): { child: ChildProcess; done: Promise<void> } {
  const build = runNext(['build'], { NODE_ENV: 'production' }, distDir);
  const done = new Promise<void>((resolve, reject) =>
    build.child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code}):\n${build.output()}`)),
    ),
  );
  return { child: build.child, done };
}

export interface ConsoleStackOptions {
  /** Also runs the provisioner, with local servers (Docker and nginx on this machine) under a directory of their own. */
  readonly provisioner?: boolean;
  /** More settings of the provisioner: a fake cloud's URL (`DIGITALOCEAN_API_URL`), `PLATFORM_PUBLIC_ADDRESS`. */
  readonly provisionerEnv?: Readonly<Record<string, string>>;
  /** Also runs the webhooks service, endpoints on loopback allowed (the development setting). */
  readonly webhooks?: boolean;
  /** Where `next build` writes (under apps/web): one per kind of run, so a test and a benchmark never share one. */
  readonly distDir?: string;
}

/**
 * The deployer (and the provisioner when asked) and the gateway as processes on the real PostgreSQL, NATS and Redis, in a namespace of their
 * own, and the console built for production and started in front of them. The build runs while the
 * services start.
 */
export async function startConsoleStack(label: string, options: ConsoleStackOptions = {}): Promise<ConsoleStack> {
  const db = createTestSchema(label, 2);
  const prefix = uniqueName(label);
  const schemas = {
    identity: `${db.schema}_id`,
    gateway: `${db.schema}_gw`,
    deployments: `${db.schema}_dep`,
    servers: `${db.schema}_srv`,
    webhooks: `${db.schema}_wh`,
  };
  const uploadsDir = await mkdtemp(path.join(tmpdir(), `platform-${label}-uploads-`));
  const serversRoot = await mkdtemp(path.join(tmpdir(), `platform-${label}-servers-`));
  const common = {
    DATABASE_URL: testServices.databaseUrl,
    NATS_URL: testServices.natsUrl,
    NATS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    UPLOADS_DIR: uploadsDir,
    PLATFORM_SECRET_KEY: randomBytes(32).toString('hex'),
    PLATFORM_CA_FILE: path.join(serversRoot, 'platform-ca.json'),
  };
  const [deployerPort, gatewayPort, consolePort, provisionerPort, webhooksPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const children: ChildProcess[] = [];

  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  const build = buildConsole(distDir);
  // Settled here so a failed build that is awaited only later is never an unhandled rejection meanwhile.
  build.done.catch(() => undefined);
  children.push(build.child);
  try {
    const [deployer, provisioner, webhooks] = await Promise.all([
      spawnTypeScript(
        'apps/deployer/src/main.ts',
        {
          ...common,
          DATABASE_SCHEMA: schemas.deployments,
          HTTP_PORT: String(deployerPort),
          REPLICA_ID: `${label}-deployer`,
          DEPLOY_POLL_MS: '200',
          DEPLOY_HEALTH_TIMEOUT_MS: '20000',
        },
        `http://127.0.0.1:${deployerPort}/readyz`,
        { timeoutMs: 60_000 },
      ),
      options.provisioner
        ? spawnTypeScript(
            'apps/provisioner/src/main.ts',
            {
              ...common,
              DATABASE_SCHEMA: schemas.servers,
              HTTP_PORT: String(provisionerPort),
              REPLICA_ID: `${label}-provisioner`,
              LOCAL_SERVERS_ROOT: serversRoot,
              PROVISION_POLL_MS: '200',
              ...options.provisionerEnv,
            },
            `http://127.0.0.1:${provisionerPort}/readyz`,
            { timeoutMs: 60_000 },
          )
        : undefined,
      options.webhooks
        ? spawnTypeScript(
            'apps/webhooks/src/main.ts',
            {
              ...common,
              DATABASE_SCHEMA: schemas.webhooks,
              HTTP_PORT: String(webhooksPort),
              REPLICA_ID: `${label}-webhooks`,
              WEBHOOKS_ALLOW_LOOPBACK_HTTP: 'true',
            },
            `http://127.0.0.1:${webhooksPort}/readyz`,
            { timeoutMs: 60_000 },
          )
        : undefined,
    ]);
    children.push(deployer);
    if (provisioner) children.push(provisioner);
    if (webhooks) children.push(webhooks);
    children.push(
      await spawnTypeScript(
        'apps/gateway/src/main.ts',
        {
          ...common,
          GATEWAY_PORT: String(gatewayPort),
          IDENTITY_SCHEMA: schemas.identity,
          GATEWAY_SCHEMA: schemas.gateway,
          REDIS_URL: testServices.redisUrl,
          REDIS_PREFIX: `${prefix}:`,
          // Every browser request reaches the gateway from the console's address: one client, as far as it knows.
          AUTH_RATE_LIMIT_PER_MINUTE: '10000',
          // A development instance: the tests sign several people up, with local servers.
          SIGNUP: 'open',
          LOCAL_SERVERS_WORKSPACES: '*',
          API_RATE_LIMIT_PER_MINUTE: '100000',
          REPLICA_ID: `${label}-gateway`,
          WEBHOOKS_ALLOW_LOOPBACK_HTTP: options.webhooks ? 'true' : 'false',
        },
        `${gatewayUrl}/readyz`,
        { timeoutMs: 60_000 },
      ),
    );
    await build.done;
    // Served the way `npm start` serves it.
    children.push(
      await spawnTypeScript(
        'apps/web/src/main.ts',
        { NODE_ENV: 'production', WEB_PORT: String(consolePort), GATEWAY_URL: gatewayUrl, NEXT_DIST_DIR: distDir },
        `http://127.0.0.1:${consolePort}/readyz`,
        { timeoutMs: 60_000 },
      ),
    );
  } catch (error) {
    await Promise.all(children.map(stopProcess));
    await removeLocalServers(serversRoot);
    await db.dispose();
    await rm(uploadsDir, { recursive: true, force: true });
    throw error;
  }

  return {
    consoleUrl: `http://127.0.0.1:${consolePort}`,
    gatewayUrl,
    schemas,
    async stop() {
      await Promise.all(children.reverse().map(stopProcess));
      await removeLocalServers(serversRoot);
      const bus = await Bus.connect({ servers: testServices.natsUrl, prefix });
      for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const) {
        await bus.manager.streams.delete(bus.subjects.stream(stream)).catch(() => undefined);
      }
      await bus.close();
      for (const schema of Object.values(schemas)) await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.dispose();
      await rm(uploadsDir, { recursive: true, force: true });
    },
  };
}

/** Local servers are processes of their own (agent, nginx) and containers: removes every one made under `root`. */
async function removeLocalServers(root: string): Promise<void> {
  const servers = new LocalCloudProvider({ root });
  for (const server of await servers.listServers().catch(() => []))
    await servers.deleteServer(server.id).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
