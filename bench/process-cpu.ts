import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of the stack's server processes, read from /proc (Linux), so bench:e2e can say where
 * the CPU of a measured transfer went: on two cores shared by every process of a transfer, time
 * follows CPU.
 */

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU-seconds of a process so far (all its threads), or 0 when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A process and its children (nginx's master and workers). */
function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return [pid, ...children.map(Number)];
  } catch {
    return [pid];
  }
}

export interface ServerCpu {
  readonly mediaServer: number;
  readonly nginx: number;
}

/** CPU-seconds used so far by the media server and by nginx (master and workers). */
export function serverCpu(pids: { readonly nginx: number; readonly mediaServer?: number }): ServerCpu {
  const nginx = withChildren(pids.nginx).reduce((total, pid) => total + cpuSecondsOf(pid), 0);
  return { mediaServer: pids.mediaServer === undefined ? 0 : cpuSecondsOf(pids.mediaServer), nginx };
}

export function serverCpuSince(before: ServerCpu, pids: Parameters<typeof serverCpu>[0]): ServerCpu {
  const after = serverCpu(pids);
  return { mediaServer: after.mediaServer - before.mediaServer, nginx: after.nginx - before.nginx };
}

/**
 * A command's own CPU-seconds, run through bash, whose `times` builtin reports the user and system
 * time of the children it waited for (here the one command): `bash -c '"$@"; times'`.
 */
const TIMED_COMMAND = ['-c', 'code=0; "$@" || code=$?; times >&2; exit $code', 'timed'];

/** The children's line of bash's `times` ("0m1.234s 0m0.567s"), as CPU-seconds; 0 if absent. */
function childCpuFromTimes(stderr: string): { seconds: number; rest: string } {
  const lines = stderr.trimEnd().split('\n');
  const times = lines.slice(-2);
  const children = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(times[1] ?? '');
  if (!children) return { seconds: 0, rest: stderr };
  const [, um, us, sm, ss] = children.map(Number) as [number, number, number, number, number];
  return { seconds: um * 60 + us + sm * 60 + ss, rest: lines.slice(0, -2).join('\n') };
}

/** Runs `command` (a program and its arguments) to its end; resolves with its CPU-seconds, rejects if it fails. */
export function runTimed(command: readonly string[], what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [...TIMED_COMMAND, ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      const { seconds, rest } = childCpuFromTimes(stderr);
      if (code === 0) resolve(seconds);
      else reject(new Error(`${what} exited with ${code}: ${rest}`));
    });
  });
}
