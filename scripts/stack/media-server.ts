import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SLIPSTREAM_NODE_FLAGS } from '../../main/core/node-flags.js';
import { sourceFingerprint } from './code-fingerprint.js';
import { stackPaths, REPO_ROOT } from './paths.js';
import { MAX_PENDING_MEDIA_UPLOADS } from './synapse-config.js';
import { LOOPBACK } from './ports.js';
import { answersOk, runningPid, startDetached, stopByPidFile, waitUntilHealthy } from './processes.js';

/*
 * Slipstream's media server (`slipstream serve`) as one stack component. It is being written beside this
 * stack; until `bin/slipstream serve --help` succeeds, the stack routes the media paths to Synapse and
 * says so in stack.json (`mediaBackend: "synapse"`). SLIPSTREAM_STACK_MEDIA=synapse forces that routing
 * even when the server exists (e.g. to try a client against Synapse's media repository).
 */

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'bin', 'slipstream');

export const mediaServerFiles = {
  dataDir: join(stackPaths.mediaServerDir, 'data'),
  pidFile: join(stackPaths.mediaServerDir, 'media-server.pid'),
  log: join(stackPaths.mediaServerDir, 'media-server.log'),
  /** The fingerprint of the code the running server was started from (code-fingerprint.ts). */
  codeFingerprint: join(stackPaths.mediaServerDir, 'code-fingerprint'),
} as const;

export const mediaServerUrl = (port: number): string => `http://${LOOPBACK}:${port}`;

/** Whether this checkout has a working `slipstream serve` (and the user has not opted out). */
export async function isMediaServerAvailable(): Promise<boolean> {
  if (process.env.SLIPSTREAM_STACK_MEDIA === 'synapse') return false;
  // Cheap pre-check so an `up` without any server code does not pay for a tsx start-up.
  if (!existsSync(join(REPO_ROOT, 'server', 'index.ts')) && !existsSync(join(REPO_ROOT, 'cli', 'serve-command.ts'))) {
    return false;
  }
  try {
    await run(process.execPath, [CLI, 'serve', '--help'], { cwd: REPO_ROOT, timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

export interface MediaServerOptions {
  readonly port: number;
  readonly homeserverUrl: string;
  readonly serverName: string;
}

/**
 * The command line the stack runs, with the flags of `slipstream serve --help` (cli/serve-command.ts).
 * The media server gets the same per-user pending-upload limit as Synapse, so `maxPendingMediaUploads`
 * in stack.json holds whichever backend serves media.
 */
export function mediaServerArgs(options: MediaServerOptions): string[] {
  return [
    CLI,
    'serve',
    '--host',
    LOOPBACK,
    '--port',
    String(options.port),
    '--server-name',
    options.serverName,
    '--homeserver-url',
    options.homeserverUrl,
    // Media the server does not own is passed through to Synapse's own media repository.
    '--homeserver-media-url',
    options.homeserverUrl,
    '--data-dir',
    mediaServerFiles.dataDir,
    '--pending-uploads-per-user',
    String(MAX_PENDING_MEDIA_UPLOADS),
    // Creation is rate limited as loosely as Synapse's rc_media_create in the stack: tests create fast.
    '--create-per-second',
    '1000',
    '--create-burst',
    '10000',
  ];
}

/**
 * The process settings docs/deploy.md recommends besides the V8 options of every Slipstream process
 * that moves bulk data (SLIPSTREAM_NODE_FLAGS; main/core/node-flags.ts says why; traced in the server: about
 * 100 full mark-compacts in 3 GiB received without them, 0-3 with): two malloc arenas (glibc gives
 * each I/O thread its own, which hold on to freed buffers).
 */
export const MEDIA_SERVER_ENVIRONMENT = {
  MALLOC_ARENA_MAX: '2',
} as const;

export async function mediaServerPid(): Promise<number | undefined> {
  return runningPid(mediaServerFiles.pidFile);
}

/** Any HTTP answer from the media config endpoint (401 without a token included) means it serves. */
export async function isMediaServerHealthy(port: number): Promise<boolean> {
  return answersOk(`${mediaServerUrl(port)}/_matrix/client/v1/media/config`, 1_000, (status) => status < 500);
}

/** Whether the running server was started from other code than the checkout has now (or from unknown code). */
export async function isMediaServerCodeStale(): Promise<boolean> {
  const recorded = await readFile(mediaServerFiles.codeFingerprint, 'utf8').catch(() => undefined);
  return recorded?.trim() !== (await sourceFingerprint(REPO_ROOT));
}

export async function startMediaServer(options: MediaServerOptions): Promise<number> {
  await mkdir(mediaServerFiles.dataDir, { recursive: true });
  // Taken before the start: code edited while the server starts makes the next `up` restart it.
  const fingerprint = await sourceFingerprint(REPO_ROOT);
  await rm(mediaServerFiles.codeFingerprint, { force: true });
  const started = await startDetached(process.execPath, [...SLIPSTREAM_NODE_FLAGS, ...mediaServerArgs(options)], {
    cwd: REPO_ROOT,
    logFile: mediaServerFiles.log,
    pidFile: mediaServerFiles.pidFile,
    env: { ...process.env, ...MEDIA_SERVER_ENVIRONMENT },
  });
  const url = `${mediaServerUrl(options.port)}/_matrix/client/v1/media/config`;
  await waitUntilHealthy('the media server', url, started, mediaServerFiles.log, 30_000, (status) => status < 500);
  await writeFile(mediaServerFiles.codeFingerprint, `${fingerprint}\n`);
  return started.pid;
}

export async function stopMediaServer(): Promise<number | undefined> {
  return stopByPidFile(mediaServerFiles.pidFile, 10_000);
}
