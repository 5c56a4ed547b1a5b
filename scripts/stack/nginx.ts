import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError } from './errors.js';
import { NGINX_TEMP_DIRS, stackNginxConfig, type NginxConfigInput } from './nginx-config.js';
import { stackPaths } from './paths.js';
import { LOOPBACK } from './ports.js';
import { answersOk, logTail, runningPid, stopByPidFile } from './processes.js';

const run = promisify(execFile);

const dir = stackPaths.nginxDir;
export const nginxFiles = {
  config: join(dir, 'nginx.conf'),
  pidFile: join(dir, 'nginx.pid'),
  errorLog: join(dir, 'error.log'),
} as const;

export const nginxUrl = (port: number): string => `http://${LOOPBACK}:${port}`;

/** The nginx binary: on PATH, or Debian's /usr/sbin/nginx (not on a non-root PATH). */
function findNginx(): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(':').concat('/usr/sbin')) {
    const candidate = join(directory, 'nginx');
    if (directory && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Installs Debian's nginx when it is missing. The package's maintainer scripts would start a system-wide
 * nginx on port 80 of every interface; a temporary policy-rc.d (the standard Debian switch) stops that,
 * so the only nginx running is ours, on 127.0.0.1.
 */
export async function provisionNginx(log: (line: string) => void): Promise<string> {
  const found = findNginx();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new StackError('nginx is not installed and installing it needs root: run `sudo apt-get install nginx`');
  }
  log('installing nginx from Debian (apt-get)');
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runOrExplain('apt-get', ['update', '-qq'], env, 'apt-get update failed while installing nginx');
    await runOrExplain(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', 'nginx'],
      env,
      'apt-get could not install nginx',
    );
  } finally {
    if (ownPolicy) await rm(policy, { force: true });
  }
  const installed = findNginx();
  if (!installed) throw new StackError('apt-get installed nginx but no nginx binary was found');
  return installed;
}

/**
 * Writes nginx.conf when it differs from what is there and checks it with `nginx -t`, failing with
 * nginx's own words. Returns whether it changed (a running nginx then needs a reload).
 */
export async function configureNginx(
  nginx: string,
  input: Omit<NginxConfigInput, 'prefix' | 'workerUser'>,
): Promise<boolean> {
  for (const temp of NGINX_TEMP_DIRS) await mkdir(join(dir, 'temp', temp), { recursive: true });
  // As root, workers would drop to `nobody`, who cannot write our temp directories: keep them as the
  // user running the stack, like an unprivileged instance.
  const workerUser = process.getuid?.() === 0 ? userInfo().username : undefined;
  const config = stackNginxConfig({ ...input, prefix: dir, ...(workerUser && { workerUser }) });
  const previous = await readFile(nginxFiles.config, 'utf8').catch(() => undefined);
  if (previous === config) return false;
  await writeFile(nginxFiles.config, config);
  try {
    await run(nginx, nginxArgs(['-t', '-q']));
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    // Leave no config behind that a later `up` would take as already checked.
    await rm(nginxFiles.config, { force: true });
    throw new StackError(
      `nginx rejected the generated configuration (nginx -t)`,
      failure.stderr?.trim() || failure.message,
    );
  }
  return true;
}

export async function nginxPid(): Promise<number | undefined> {
  return runningPid(nginxFiles.pidFile);
}

/** Starts nginx (it daemonises itself and writes the pid file), or reloads it when already running. */
export async function startNginx(nginx: string, port: number): Promise<number> {
  const running = await nginxPid();
  try {
    await run(nginx, nginxArgs(running ? ['-s', 'reload'] : []));
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new StackError(
      `nginx could not start; see ${nginxFiles.errorLog}`,
      failure.stderr?.trim() || failure.message,
    );
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pid = await nginxPid();
    // Any answer from Synapse through nginx (even 404) proves the proxy path; /health is cheap.
    if (pid && (await answersOk(`${nginxUrl(port)}/health`))) return pid;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new StackError(`nginx did not start answering on ${nginxUrl(port)}`, await logTail(nginxFiles.errorLog));
}

export async function stopNginx(): Promise<number | undefined> {
  return stopByPidFile(nginxFiles.pidFile, 5_000);
}

/** `-e` keeps nginx from touching /var/log/nginx before it has read our config. */
function nginxArgs(extra: string[]): string[] {
  return ['-p', `${dir}/`, '-c', nginxFiles.config, '-e', nginxFiles.errorLog, ...extra];
}

async function runOrExplain(command: string, args: string[], env: NodeJS.ProcessEnv, explanation: string) {
  try {
    await run(command, args, { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new StackError(explanation, failure.stderr?.trim() || failure.message);
  }
}
