import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const repoRoot = path.resolve(__dirname, '../../..');

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Runs a TypeScript entry point of this repository (an app's main, a benchmark helper) as its own process,
 * as in production, and resolves once `readyUrl` answers below 500.
 */
export async function spawnTypeScript(
  entry: string,
  env: NodeJS.ProcessEnv,
  readyUrl: string,
  options: { timeoutMs?: number; stdout?: 'ignore' | 'inherit' } = {},
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-r', path.join(repoRoot, 'scripts/register.js'), path.join(repoRoot, entry)],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'],
    },
  );
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with code ${child.exitCode}`);
    const answered = await fetch(readyUrl).then(
      (response) => response.status < 500,
      () => false,
    );
    if (answered) return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} did not answer ${readyUrl} within ${options.timeoutMs ?? 30_000} ms`);
}

/** Stops a process with SIGTERM (a graceful stop) and waits until it is gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
