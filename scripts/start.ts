/**
 * `npm start`: makes sure PostgreSQL, NATS and Redis run, starts every service of the platform on this
 * machine, waits until each is ready, and stops them all on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pretty from 'pino-pretty';

const root = path.resolve(__dirname, '..');

/** The services, the port they listen on and the variable that sets it. */
const services: { name: string; port: number; portVariable: string }[] = [
  { name: 'deployer', port: 4102, portVariable: 'HTTP_PORT' },
  { name: 'gateway', port: Number(process.env.GATEWAY_PORT ?? 8080), portVariable: 'GATEWAY_PORT' },
];

function ensureServices(): void {
  const result = spawnSync('bash', [path.join(root, 'scripts/ensure-services.sh')], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The platform needs PostgreSQL, NATS and Redis; see the messages above for what to install or start.');
    process.exit(result.status ?? 1);
  }
}

function startApp(name: string, port: number, portVariable: string): ChildProcess {
  const child = spawn(process.execPath, ['-r', path.join(root, 'scripts/register.js'), path.join(root, `apps/${name}/src/main.ts`)], {
    cwd: root,
    env: { ...process.env, [portVariable]: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.pipe(pretty({ colorize: process.stdout.isTTY, ignore: 'pid,hostname,service', singleLine: true }));
  return child;
}

async function waitReady(name: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}; its log above says why`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(250);
  }
  throw new Error(`${name} was not ready within 60 s at http://127.0.0.1:${port}/readyz`);
}

async function main(): Promise<void> {
  ensureServices();
  const children = services.map((service) => ({ ...service, child: startApp(service.name, service.port, service.portVariable) }));
  const stopAll = () => {
    for (const { child } of children) child.kill('SIGTERM');
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  try {
    await Promise.all(children.map(({ name, port, child }) => waitReady(name, port, child)));
  } catch (error) {
    console.error(`✘ ${(error as Error).message}`);
    stopAll();
    process.exitCode = 1;
    return;
  }
  const gateway = `http://127.0.0.1:${services[1].port}`;
  console.log('\nThe platform is running:');
  for (const { name, port } of children) console.log(`  ✔ ${name.padEnd(10)} http://127.0.0.1:${port}/readyz`);
  console.log(`\n  API            ${gateway}/v1`);
  console.log(`  Documentation  ${gateway}/docs`);
  console.log(`  Try it:        curl -X POST ${gateway}/v1/auth/signup -H 'content-type: application/json' \\`);
  console.log(`                   -d '{"email":"you@example.com","password":"a long password","workspaceName":"mine"}'`);
  console.log('\nPress Ctrl-C to stop.\n');
  await Promise.all(children.map(({ child }) => new Promise((resolve) => child.once('exit', resolve))));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
