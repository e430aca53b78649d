/**
 * Memory of a process tree, read from /proc: what `npm start` leaves running on a machine, process by process.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  command: string;
  /** Resident memory, in MB: every page the process maps, the Node.js binary's shared code included. */
  rssMb: number;
  /** Proportional memory, in MB: a page shared by n processes counts 1/n in each, so a sum counts it once. */
  pssMb: number;
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name is in parentheses and may hold spaces; the fields that follow are fixed.
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  } catch {
    return undefined;
  }
}

function kilobytes(file: string, field: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/** The process and all its descendants, with their memory. */
export function treeMemory(rootPid: number): ProcessMemory[] {
  const pids = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
  const parents = new Map(pids.map((pid) => [pid, parentOf(pid)]));
  const inTree = (pid: number): boolean => {
    for (let current: number | undefined = pid; current !== undefined && current > 1; current = parents.get(current))
      if (current === rootPid) return true;
    return false;
  };
  return pids.filter(inTree).flatMap((pid) => {
    try {
      return [
        {
          pid,
          command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(),
          rssMb: kilobytes(`/proc/${pid}/status`, 'VmRSS') / 1024,
          pssMb: kilobytes(`/proc/${pid}/smaps_rollup`, 'Pss') / 1024,
        },
      ];
    } catch {
      return []; // ended meanwhile
    }
  });
}
