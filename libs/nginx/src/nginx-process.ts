import { execFile } from 'node:child_process';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '@platform/contracts';

/** Where one nginx instance keeps its files. */
export interface NginxFiles {
  readonly prefix: string;
  readonly mainConfig: string;
  readonly pidFile: string;
  readonly errorLog: string;
}

interface CommandOutcome {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs nginx with an argument array: no shell, so nothing can be injected through a path or a name. */
function runNginx(bin: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}`.trim() || (error ? error.message : '') });
    });
  });
}

/** What nginx's output says, without the lines that only restate the file names. */
function essentials(output: string): string {
  return output
    .split('\n')
    .filter((line) => !/test failed$|syntax is ok$|test is successful$|makes sense only if/.test(line))
    .map((line) => line.replace(/^nginx: /, ''))
    .join('\n')
    .trim();
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: find them by parent pid.
    const children: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    }
    return children;
  }
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

export interface WorkerGeneration {
  /** Workers taking new connections. */
  readonly active: readonly number[];
  /** Workers of an older configuration finishing their requests. */
  readonly retiring: readonly number[];
}

/** One nginx instance: its own prefix, configuration, pid file and logs. */
export class NginxProcess<Layout extends NginxFiles = NginxFiles> {
  constructor(
    private readonly bin: string,
    readonly layout: Layout,
  ) {}

  private baseArgs(config: string): string[] {
    return ['-p', this.layout.prefix, '-c', config, '-e', this.layout.errorLog];
  }

  async version(): Promise<string | undefined> {
    const outcome = await runNginx(this.bin, ['-v']);
    return /nginx\/([\w.]+)/.exec(outcome.output)?.[1];
  }

  /** `nginx -t` on a configuration file; a refusal carries nginx's own explanation. */
  async test(config: string): Promise<void> {
    const outcome = await runNginx(this.bin, ['-t', '-q', ...this.baseArgs(config)]);
    if (!outcome.ok) {
      throw new DomainError('validation_failed', `nginx refused the configuration: ${essentials(outcome.output)}`, [
        { reason: 'nginx_test_failed', output: essentials(outcome.output) },
      ]);
    }
  }

  async masterPid(): Promise<number | undefined> {
    const text = await readFile(this.layout.pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return (await commandLine(pid)).startsWith('nginx: master process') ? pid : undefined;
  }

  /** Starts the master (which detaches, so it outlives the agent and keeps serving while the agent restarts). */
  async start(): Promise<void> {
    const outcome = await runNginx(this.bin, this.baseArgs(this.layout.mainConfig));
    if (!outcome.ok) throw new DomainError('unavailable', `nginx did not start: ${essentials(outcome.output)}`);
    const deadline = Date.now() + 5000;
    while (!(await this.masterPid())) {
      if (Date.now() > deadline) throw new DomainError('unavailable', 'nginx started but wrote no pid file');
      await sleep(20);
    }
  }

  async workers(): Promise<WorkerGeneration> {
    const master = await this.masterPid();
    if (!master) return { active: [], retiring: [] };
    const active: number[] = [];
    const retiring: number[] = [];
    for (const pid of await childrenOf(master)) {
      const title = await commandLine(pid);
      if (title.includes('is shutting down')) retiring.push(pid);
      else if (title.includes('worker process')) active.push(pid);
    }
    return { active, retiring };
  }

  /**
   * Reloads the configuration and waits until workers of the new configuration run. Returns the workers of the
   * old one, which finish the requests they hold and exit.
   *
   * A plain reload (SIGHUP) lets old and new workers accept side by side for 100 ms, so answers would flip
   * between the old and the new upstream. Instead the master is first told to stop its workers accepting
   * (SIGWINCH: they finish what they hold and exit, and are not respawned), then to reload. Connections that
   * arrive in between wait in the listen queue the master keeps open, and the first new worker takes them: the
   * switch happens at one instant, and nothing is refused.
   */
  async reload(timeoutMs = 10_000): Promise<number[]> {
    const master = await this.masterPid();
    if (!master) throw new DomainError('unavailable', 'nginx is not running');
    const before = (await this.workers()).active;
    const logOffset = await fileSize(this.layout.errorLog);
    const deadline = Date.now() + timeoutMs;
    if (before.length > 0) {
      process.kill(master, 'SIGWINCH');
      // A master that does not honour it (nginx run in the foreground) still reloads, only less sharply.
      const stopDeadline = Date.now() + 1000;
      while ((await this.workers()).active.some((pid) => before.includes(pid)) && Date.now() < stopDeadline)
        await sleep(1);
    }
    process.kill(master, 'SIGHUP');
    for (;;) {
      const fresh = (await this.workers()).active.filter((pid) => !before.includes(pid));
      if (fresh.length > 0) return [...before];
      const emergency = (await readFrom(this.layout.errorLog, logOffset))
        .split('\n')
        .find((line) => line.includes('[emerg]'));
      if (emergency)
        throw new DomainError(
          'unavailable',
          `nginx could not load the new configuration: ${emergency.replace(/^.*\[emerg\] [\d#]+: /, '')}`,
        );
      if (Date.now() > deadline) {
        throw new DomainError(
          'unavailable',
          `nginx did not take up the new configuration within ${timeoutMs} ms: ${await this.lastErrors()}`,
        );
      }
      await sleep(1);
    }
  }

  /** Waits until the given (retired) workers have finished their requests and exited; false on timeout. */
  async waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const alive = await Promise.all(pids.map(async (pid) => (await commandLine(pid)).startsWith('nginx: worker')));
      if (!alive.includes(true)) return true;
      if (Date.now() > deadline) return false;
      await sleep(20);
    }
  }

  /** Stops the instance, letting workers finish their requests. */
  async quit(timeoutMs = 10_000): Promise<void> {
    const master = await this.masterPid();
    if (!master) return;
    process.kill(master, 'SIGQUIT');
    const deadline = Date.now() + timeoutMs;
    while (await this.masterPid()) {
      if (Date.now() > deadline) {
        process.kill(master, 'SIGKILL');
        return;
      }
      await sleep(20);
    }
  }

  private async lastErrors(): Promise<string> {
    const log = await readFile(this.layout.errorLog, 'utf8').catch(() => '');
    return log.trim().split('\n').slice(-3).join(' | ') || 'no error logged';
  }
}
