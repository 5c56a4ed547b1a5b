import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';

/** The pid in `pidFile` if that process is alive; a missing file, garbage or a dead pid all mean "not running". */
export async function runningPid(pidFile: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  return isAlive(pid) ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means the pid is taken.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DetachedProcess {
  readonly pid: number;
  /** Resolves with the exit code if the process ends (used to fail fast while waiting for health). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `command` in its own session with stdout and stderr appended to `logFile`, records its pid in
 * `pidFile`, and lets this Node process exit without waiting for it: the stack outlives `up` and tests.
 */
export async function startDetached(
  command: string,
  args: readonly string[],
  options: { cwd: string; logFile: string; pidFile: string; env?: NodeJS.ProcessEnv },
): Promise<DetachedProcess> {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(-1));
    });
    if (child.pid === undefined) {
      throw new StackError(`could not start ${command}`, (await exited) === -1 ? 'spawn failed' : undefined);
    }
    child.unref();
    await writeFile(options.pidFile, `${child.pid}\n`);
    return { pid: child.pid, exited };
  } finally {
    closeSync(log);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Stale or missing pid files are fine. */
export async function stopByPidFile(pidFile: string, graceMs = 10_000): Promise<number | undefined> {
  const pid = await runningPid(pidFile);
  if (pid !== undefined) {
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      signal(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(50);
    }
  }
  await rm(pidFile, { force: true });
  return pid;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(logFile: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${logFile})`;
  }
}

/** Whether `url` answers within `timeoutMs` with a status `accept` takes (default: 2xx). */
export async function answersOk(
  url: string,
  timeoutMs = 2_000,
  accept: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return accept(response.status);
  } catch {
    return false;
  }
}

/**
 * Polls `url` until it answers 2xx. Fails with the log tail when the process exits first or when
 * `timeoutMs` passes, so a broken config is reported in seconds, not after a test timeout.
 */
export async function waitUntilHealthy(
  component: string,
  url: string,
  started: DetachedProcess,
  logFile: string,
  timeoutMs: number,
  accept?: (status: number) => boolean,
): Promise<void> {
  let exitCode: number | null | undefined;
  void started.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answersOk(url, 1_000, accept)) return;
    if (exitCode !== undefined) {
      throw new StackError(
        `${component} exited (code ${exitCode}) before answering ${url}; see ${logFile}`,
        await logTail(logFile),
      );
    }
    await sleep(250);
  }
  throw new StackError(
    `${component} did not answer ${url} within ${Math.round(timeoutMs / 1000)} s; see ${logFile}`,
    await logTail(logFile),
  );
}
