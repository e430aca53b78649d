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

/** The services, the port they listen on and the variable that sets it. */
const services: { name: string; port: number; portVariable: string }[] = [
  { name: 'provisioner', port: Number(process.env.PROVISIONER_PORT ?? 4101), portVariable: 'HTTP_PORT' },
  { name: 'deployer', port: Number(process.env.DEPLOYER_PORT ?? 4102), portVariable: 'HTTP_PORT' },
  { name: 'gateway', port: Number(process.env.GATEWAY_PORT ?? 8080), portVariable: 'GATEWAY_PORT' },
  // The console builds itself on first start (or when its sources changed), which takes a little while.
  { name: 'web', port: Number(process.env.WEB_PORT ?? 3000), portVariable: 'WEB_PORT' },
  // Request metrics from the queue into PostgreSQL, and their queries.
  { name: 'metrics', port: Number(process.env.METRICS_PORT ?? 4103), portVariable: 'HTTP_PORT' },
  // Webhook endpoints and their deliveries (it follows the event stream and sends, retrying).
  { name: 'webhooks', port: Number(process.env.WEBHOOKS_PORT ?? 4104), portVariable: 'HTTP_PORT' },
];

export const gatewayUrl = `http://127.0.0.1:${services[2].port}`;
export const consoleUrl = `http://127.0.0.1:${services[3].port}`;

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

function startApp(name: string, port: number, portVariable: string, env: NodeJS.ProcessEnv): ChildProcess {
  let output: 'pipe' | number = 'pipe';
  if (!logsInline) {
    mkdirSync(logsDir, { recursive: true });
    if (existsSync(logFile(name))) renameSync(logFile(name), `${logFile(name)}.1`);
    output = openSync(logFile(name), 'a', 0o600);
  }
  const app = appProcess(name);
  const child = spawn(app.command, app.args, {
    cwd: root,
    env: { ...process.env, ...env, ...app.env, [portVariable]: String(port) },
    stdio: ['ignore', output, logsInline ? 'inherit' : output],
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

async function waitReady(name: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}\n${endOfLog(name)}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(250);
  }
  throw new Error(`${name} was not ready within 10 minutes at http://127.0.0.1:${port}/readyz\n${endOfLog(name)}`);
}

/**
 * Where apps on local servers open in a browser: http://<service>.localhost, on port 80 when the platform runs as
 * root, else 8081. The deployer keeps it routed, and runs it.
 */
const frontDoorPort = process.getuid?.() === 0 ? 80 : 8081;
const frontDoorDir = path.join(platformHome, 'front');
const frontDoor = new LocalFrontProxy(frontDoorDir, { address: '127.0.0.1', port: frontDoorPort });

export interface RunningPlatform {
  readonly children: { name: string; port: number; child: ChildProcess }[];
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
    'The platform needs PostgreSQL, NATS, Redis, Docker and nginx; see above for what to install or start.',
  );
  runScript('scripts/build-base-images.sh', 'The base images for apps could not be built; see above.');
  const env = {
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
  };
  const children = services.map((service) => ({
    ...service,
    child: startApp(service.name, service.port, service.portVariable, env),
  }));
  // Ctrl-C reaches the launcher twice (from the terminal and passed on by scripts/with-deps.js): stop once.
  let stopping = false;
  let running = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('… stopping the platform');
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  for (const { name, child } of children) {
    child.once('exit', (code, signal) => {
      // Before every service is ready, start-up itself reports a service that exits.
      if (running && !stopping)
        console.error(`✖ ${name} stopped (${signal ?? `exit code ${code}`})\n${endOfLog(name)}`);
    });
  }
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Long starts (the console builds itself on first start) say what they are waiting for.
  const starting = new Set(children.map(({ name }) => name));
  const progress = setInterval(() => {
    const where = logsInline ? '' : ` (logs in ${logsDir})`;
    console.log(`… still starting: ${[...starting].join(', ')}${where}`);
  }, 30_000);
  try {
    await Promise.all(
      children.map(({ name, port, child }) => waitReady(name, port, child).then(() => starting.delete(name))),
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearInterval(progress);
  }
  running = true;
  return {
    children,
    appUrl: (hostname) => frontDoor.url(hostname),
    stop,
    exited: async () => {
      const exited = ({ child }: (typeof children)[number]) =>
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await Promise.all(children.map(exited));
    },
  };
}
