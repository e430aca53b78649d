/**
 * Runs the whole platform on this machine: makes sure PostgreSQL, NATS, Redis, Docker and nginx run, keeps the
 * platform's secret key, starts every service and waits until each is ready. Used by `npm start` and
 * `npm run demo`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalFrontProxy } from '@platform/deployments';
import pretty from 'pino-pretty';

export const root = path.resolve(__dirname, '..');
export const platformHome = process.env.PLATFORM_HOME ?? path.join(homedir(), '.platform');

/** The services, each on its port, run together in one process (scripts/services.ts). */
const services: { name: string; port: number }[] = [
  { name: 'gateway', port: Number(process.env.GATEWAY_PORT ?? 8080) },
  { name: 'provisioner', port: Number(process.env.PROVISIONER_PORT ?? 4101) },
  { name: 'deployer', port: Number(process.env.DEPLOYER_PORT ?? 4102) },
  // Request metrics from the queue into PostgreSQL, and their queries.
  { name: 'metrics', port: Number(process.env.METRICS_PORT ?? 4103) },
  // Domains: DNS records on Cloudflare that follow deployments.
  { name: 'dns', port: Number(process.env.DNS_PORT ?? 4104) },
  // Webhook endpoints and their deliveries (it follows the event stream and sends, retrying).
  { name: 'webhooks', port: Number(process.env.WEBHOOKS_PORT ?? 4105) },
];
// The console builds itself on first start (or when its sources changed), which takes a little while.
const webConsole = { name: 'web', port: Number(process.env.WEB_PORT ?? 3000) };

export const gatewayUrl = `http://127.0.0.1:${services[0].port}`;
export const consoleUrl = `http://127.0.0.1:${webConsole.port}`;

/** Where scripts/opensearch-node.sh starts its node. */
const openSearchNodeUrl = `http://127.0.0.1:${process.env.OPENSEARCH_NODE_PORT ?? 9200}`;

function openSearchNodeAnswers(): Promise<boolean> {
  return fetch(openSearchNodeUrl, { signal: AbortSignal.timeout(2000) }).then(
    (response) => response.ok,
    () => false,
  );
}

export function runScript(script: string, failure: string): void {
  const result = spawnSync('bash', [path.join(root, script)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(failure);
    process.exit(result.status ?? 1);
  }
}

/**
 * The key that seals secrets at rest, from PLATFORM_SECRET_KEY or else kept in ~/.platform/secret-key (made
 * once, mode 0600): losing it makes saved tokens and environment values unreadable.
 */
function secretKey(): string {
  if (process.env.PLATFORM_SECRET_KEY) return process.env.PLATFORM_SECRET_KEY;
  const file = path.join(platformHome, 'secret-key');
  if (!existsSync(file)) {
    mkdirSync(platformHome, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
    console.log(`… made a secret key for this platform in ${file}; keep it (secrets saved with it need it)`);
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * How an app runs: its bundle, made before the launcher started (scripts/bundle-platform.js), nothing compiled at
 * start; a new-object space of 1 MB (V8's default of 16 MB is mostly garbage at rest), and glibc keeping one
 * arena and handing freed memory back to the system once 128 KB are free (5 to 15 MB less per app, measured).
 */
function appProcess(name: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: process.execPath,
    args: ['--max-semi-space-size=1', path.join(root, 'dist/platform', `${name}.js`)],
    env: { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' },
  };
}

/**
 * Each service's log goes to ~/.platform/logs/<service>.log (the previous start's to <service>.log.1), so that
 * the terminal shows only the steps, the URLs and errors; `--verbose` or a LOG_LEVEL shows the logs inline.
 */
export const logsDir = path.join(platformHome, 'logs');
const logsInline = process.argv.includes('--verbose') || process.env.LOG_LEVEL !== undefined;

function logFile(name: string): string {
  return path.join(logsDir, `${name}.log`);
}

/** A fresh log file (the previous start's kept as .1), or undefined when the logs show inline. */
function freshLog(name: string): string | undefined {
  if (logsInline) return undefined;
  mkdirSync(logsDir, { recursive: true });
  if (existsSync(logFile(name))) renameSync(logFile(name), `${logFile(name)}.1`);
  return logFile(name);
}

/** `services` runs the services (each logging to its own file), `web` the console. */
function startApp(name: 'services' | 'web', env: NodeJS.ProcessEnv): ChildProcess {
  const log = freshLog(name);
  const output = log === undefined ? 'pipe' : openSync(log, 'a', 0o600);
  const app = appProcess(name);
  const child = spawn(app.command, app.args, {
    cwd: root,
    env: { ...process.env, ...env, ...app.env },
    stdio: ['ignore', output, log === undefined ? 'inherit' : output],
  });
  if (typeof output === 'number') closeSync(output);
  child.stdout?.pipe(pretty({ colorize: process.stdout.isTTY, ignore: 'pid,hostname,service', singleLine: true }));
  return child;
}

/** The last lines of a service's log, readable: a pino line shows as its level, message and error. */
function endOfLog(name: string, lines = 15): string {
  if (logsInline) return '  (its log is above)';
  const text = existsSync(logFile(name)) ? readFileSync(logFile(name), 'utf8') : '';
  const readable = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        const level = (entry.level ?? 30) >= 50 ? 'error' : (entry.level ?? 30) >= 40 ? 'warn' : 'info';
        return `${level}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
      } catch {
        return line;
      }
    });
  return [`  the end of ${logFile(name)}:`, ...readable.map((line) => `    ${line}`)].join('\n');
}

/** What a service's failure shows: its own log, and the end of its process's when that is another file. */
function endOfLogs(name: string, processName: string): string {
  return name === processName ? endOfLog(name) : `${endOfLog(name)}\n${endOfLog(processName, 5)}`;
}

async function waitReady(name: string, port: number, running: RunningProcess): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null) {
      throw new Error(`${name} exited with code ${running.child.exitCode}\n${endOfLogs(name, running.name)}`);
    }
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(250);
  }
  throw new Error(
    `${name} was not ready within 10 minutes at http://127.0.0.1:${port}/readyz\n${endOfLogs(name, running.name)}`,
  );
}

/**
 * Where apps on local servers open in a browser: http://<service>.localhost, on port 80 when the platform runs as
 * root, else 8081. The deployer keeps it routed, and runs it.
 */
const frontDoorPort = process.getuid?.() === 0 ? 80 : 8081;
const frontDoorDir = path.join(platformHome, 'front');
const frontDoor = new LocalFrontProxy(frontDoorDir, { address: '127.0.0.1', port: frontDoorPort });

interface RunningProcess {
  readonly name: 'services' | 'web';
  readonly child: ChildProcess;
  /** What it serves, each ready when its /readyz answers. */
  readonly serves: readonly { name: string; port: number }[];
}

export interface RunningPlatform {
  /** The services and the console, by name. */
  readonly names: readonly string[];
  /** Where an app of a local server opens in a browser. */
  appUrl(hostname: string): string;
  /** Stops every service; safe to call more than once. */
  stop(): Promise<void>;
  /** Resolves when every service has exited. */
  exited(): Promise<void>;
}

/** `settings`: more settings for every service (the demo's development instance), under the environment's own. */
export async function startPlatform(settings: NodeJS.ProcessEnv = {}): Promise<RunningPlatform> {
  runScript(
    'scripts/ensure-services.sh',
    'The platform needs PostgreSQL, NATS, Redis, Docker, nginx and docker-registry; see above for what to do.',
  );
  runScript('scripts/build-base-images.sh', 'The base images for apps could not be built; see above.');
  const env = {
    // The request metrics' second store: the node ensure-services.sh started (when Java is here), unless set.
    ...(!process.env.OPENSEARCH_URL && !process.env.OPENSEARCH_HOST && (await openSearchNodeAnswers())
      ? { OPENSEARCH_URL: openSearchNodeUrl }
      : {}),
    ...settings,
    PLATFORM_SECRET_KEY: secretKey(),
    // The platform's CA, which issues the agents' certificates (its key sealed with the secret key).
    PLATFORM_CA_FILE: path.join(platformHome, 'ca.json'),
    LOCAL_SERVERS_ROOT: path.join(platformHome, 'servers'),
    UPLOADS_DIR: path.join(platformHome, 'uploads'),
    GATEWAY_URL: gatewayUrl,
    // The console on this machine forwards each browser's address; the gateway trusts it for rate limits.
    TRUST_PROXY: '127.0.0.1',
    LOCAL_FRONT_DOOR_PORT: String(frontDoorPort),
    LOCAL_FRONT_DOOR_DIR: frontDoorDir,
    // The platform's own image registry (run by the deployer, on REGISTRY_PORT, 5443 by default): every image is
    // built once, pushed there and pulled by digest on each server.
    REGISTRY_DIR: path.join(platformHome, 'registry'),
  };
  // The services' own log files, made fresh before their process opens them.
  for (const { name } of services) freshLog(name);
  const processes: RunningProcess[] = [
    {
      name: 'services',
      serves: services,
      child: startApp('services', {
        ...env,
        PLATFORM_SERVICES: services.map(({ name, port }) => `${name}=${port}`).join(','),
        ...(logsInline ? {} : { PLATFORM_LOGS_DIR: logsDir }),
      }),
    },
    { name: 'web', serves: [webConsole], child: startApp('web', { ...env, WEB_PORT: String(webConsole.port) }) },
  ];
  // Ctrl-C reaches the launcher twice (from the terminal and passed on by scripts/with-deps.js): stop once.
  let stopping = false;
  let running = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('… stopping the platform');
    for (const { child } of processes) if (child.exitCode === null) child.kill('SIGTERM');
  };
  for (const { name, child } of processes) {
    child.once('exit', (code, signal) => {
      // Before every service is ready, start-up itself reports a process that exits.
      if (running && !stopping)
        console.error(`✖ ${name} stopped (${signal ?? `exit code ${code}`})\n${endOfLog(name)}`);
    });
  }
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Long starts (the console builds itself on first start) say what they are waiting for.
  const starting = new Set([...services, webConsole].map(({ name }) => name));
  const progress = setInterval(() => {
    const where = logsInline ? '' : ` (logs in ${logsDir})`;
    console.log(`… still starting: ${[...starting].join(', ')}${where}`);
  }, 30_000);
  try {
    await Promise.all(
      processes.flatMap((running) =>
        running.serves.map(({ name, port }) => waitReady(name, port, running).then(() => starting.delete(name))),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearInterval(progress);
  }
  running = true;
  return {
    names: [...services, webConsole].map(({ name }) => name),
    appUrl: (hostname) => frontDoor.url(hostname),
    stop,
    exited: async () => {
      const exited = ({ child }: RunningProcess) =>
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await Promise.all(processes.map(exited));
    },
  };
}
