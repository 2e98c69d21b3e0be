// CPU time of processes from /proc (user + system), for benches that charge CPU to what they measure.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childPids } from '@assay/kit/testing';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) a process has used, ms; `reaped` adds its waited-for children's. */
export function cpuMs(pid: number, reaped = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": state is field 0, utime 11, stime 12, cutime 13, cstime 14 (clock ticks).
    const ticks =
      Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
    return (ticks * 1000) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU of a PostgreSQL server, ms: the postmaster, its backends, and those that have exited. */
export function postgresCpuMs(postmaster: number): number {
  let ms = cpuMs(postmaster, true);
  for (const pid of childPids(postmaster)) ms += cpuMs(pid);
  return ms;
}

/** CPU of every process in `names` by name, and PostgreSQL's as 'PostgreSQL (all backends)', ms. */
export function cpuByProcess(names: Map<number, string>, postmaster: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, name] of names) out.set(name, cpuMs(pid));
  out.set('PostgreSQL (all backends)', postgresCpuMs(postmaster));
  return out;
}
