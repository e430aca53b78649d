/**
 * CPU time of the processes behind a benchmark (the services, NATS, PostgreSQL), read from /proc: which process a
 * request's cost lands in, when they all share the machine's cores. Empty where /proc is not there.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_MS = 100 / 1000;

/** User plus system CPU time of a process, in ms; 0 once it is gone. */
function cpuMsOf(pid: number): number {
  try {
    // The command name is in parentheses and may hold spaces; the fields that follow are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
  } catch {
    return 0;
  }
}

/** The processes whose command name (as `ps -o comm` shows it) is `name`. */
function pidsNamed(name: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return entries
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

export type ProcessGroups = Record<string, () => number[]>;

/** Groups of processes by name: given pids, or every process with a command name (looked up at each reading). */
export function processGroups(
  pids: Record<string, number | undefined>,
  commandNames: Record<string, string>,
): ProcessGroups {
  const groups: ProcessGroups = {};
  for (const [label, pid] of Object.entries(pids)) if (pid !== undefined) groups[label] = () => [pid];
  for (const [label, name] of Object.entries(commandNames)) groups[label] = () => pidsNamed(name);
  return groups;
}

/**
 * Starts counting; the returned function gives each group's CPU ms since, per unit of work done (`units`). Counted
 * per process, so a process that started meanwhile counts from its start and one that ended is left out.
 */
export function cpuMeter(groups: ProcessGroups): (units: number) => Record<string, number> {
  const read = (label: string) => new Map(groups[label]().map((pid) => [pid, cpuMsOf(pid)]));
  const before = new Map(Object.keys(groups).map((label) => [label, read(label)]));
  return (units) =>
    Object.fromEntries(
      Object.keys(groups).map((label) => {
        let spent = 0;
        for (const [pid, ms] of read(label)) spent += ms - (before.get(label)?.get(pid) ?? 0);
        return [label, Math.round((spent / units) * 1000) / 1000];
      }),
    );
}
