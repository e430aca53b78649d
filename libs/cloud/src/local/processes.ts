import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process and its start time, so a recycled pid is never mistaken for the process that had it. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

export async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Zombies have exited; field 22 of stat (index 19 after the command) is the start time in clock ticks.
  return fields[0] === 'Z' ? undefined : fields[19];
}

export async function isAlive(identity: ProcessIdentity | undefined): Promise<boolean> {
  return identity !== undefined && (await processStartTime(identity.pid)) === identity.startTime;
}

/** Signals the process and waits for it to exit, killing it after `graceMs`. */
export async function stopProcess(
  identity: ProcessIdentity | undefined,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  if (!(await isAlive(identity)) || !identity) return;
  try {
    process.kill(identity.pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (await isAlive(identity)) {
    if (Date.now() > deadline) {
      try {
        process.kill(identity.pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(20);
  }
}
