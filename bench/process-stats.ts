/** What the bench tools read of and do to a server process: pinning, CPU time, and the median of runs. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Pins a process (every thread) to a CPU; false when the kernel refused. */
export function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU time of a process so far, in ms (Linux clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
