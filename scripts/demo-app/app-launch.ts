import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { SLIPSTREAM_NODE_FLAGS } from '../../main/core/node-flags.js';
import { REPO_ROOT } from '../stack/paths.js';
import type { DemoPerson } from './demo-accounts.js';

/*
 * Starting one person's app for the demo: Electron with its own user-data directory where Electron's
 * binary is installed (as `npm start` decides), else a browser host (`slipstream app`) with its own data
 * directory, whose address is printed. What each writes goes to a log file beside its data.
 */

const run = promisify(execFile);

export interface RunningApp {
  readonly person: DemoPerson;
  /** A browser host's address, carrying its launch key; Electron opens a window instead. */
  readonly url?: string;
  /** Where its output goes. */
  readonly logFile: string;
  /** Settles with its exit code (null after a signal) when it stops, whoever stopped it. */
  readonly exited: Promise<number | null>;
  /** Asks it to stop (SIGTERM; transfers stop where they are), and waits; SIGKILL after ten seconds. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

/** Follows a child from the moment it is spawned, so an early exit is never missed. */
function supervise(child: ChildProcess, person: DemoPerson, logFile: string) {
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return (url?: string): RunningApp => ({
    person,
    logFile,
    exited,
    ...(url !== undefined && { url }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  });
}

export interface BrowserAppOptions {
  /** Its own data directory: settings, transfers, the sealed session. */
  readonly dataDir: string;
  /** Folders its file chooser lists beside home. */
  readonly folders: readonly string[];
  /** Its port on 127.0.0.1 (default: the port of its last start when free, as `slipstream app` does). */
  readonly port?: number;
  readonly logFile: string;
}

/** `slipstream app --no-open` for one person; resolves once it has printed its address. */
export async function startBrowserApp(person: DemoPerson, options: BrowserAppOptions): Promise<RunningApp> {
  await mkdir(dirname(options.logFile), { recursive: true });
  // Without --port the host takes the port of its last start (the page's keys are stored for its origin).
  const args = ['app', '--no-open', '--data-dir', options.dataDir];
  if (options.port !== undefined) args.push('--port', String(options.port));
  for (const folder of options.folders) args.push('--folder', folder);
  const child = spawn(process.execPath, [...SLIPSTREAM_NODE_FLAGS, join(REPO_ROOT, 'bin/slipstream'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = supervise(child, person, options.logFile);
  child.stderr!.pipe(createWriteStream(options.logFile, { flags: 'a' }));
  const url = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.trim()));
    child.once('exit', () => resolve(undefined));
  });
  if (url === undefined || !url.startsWith('http://127.0.0.1:')) {
    child.kill('SIGTERM');
    throw new Error(
      `${person.name}'s app did not start (its log, ${options.logFile}):\n${await logTail(options.logFile)}`,
    );
  }
  return started(url);
}

/*
 * Electron's binary: the electron package answers require() with its path and throws when it was never
 * downloaded (set-up installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1), as scripts/start.sh checks. Only
 * the path is used; nothing of Electron runs in this process.
 */
const requireFromHere = createRequire(import.meta.url);

export function installedElectron(): string | undefined {
  try {
    const path: unknown = requireFromHere('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which Electron the demo runs, if any, deciding as `npm start` does: the installed binary; on a
 * desktop without one, downloads it once; SLIPSTREAM_BROWSER_HOST=1 asks for the browser host.
 */
export async function electronForDemo(say: (line: string) => void): Promise<string | undefined> {
  if (process.env['SLIPSTREAM_BROWSER_HOST'] === '1') return undefined;
  const installed = installedElectron();
  const desktop = Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']) || process.platform === 'darwin';
  if (installed || !desktop) return installed;
  say("Downloading Electron's binary (only once; SLIPSTREAM_BROWSER_HOST=1 skips this)...");
  await run(process.execPath, [join(REPO_ROOT, 'node_modules/electron/install.js')], { cwd: REPO_ROOT }).catch(() =>
    say("Electron's binary could not be downloaded here."),
  );
  return installedElectron();
}

/** Bundles the Electron app (scripts/build-app.ts), as `npm start` does before starting it. */
export async function buildElectronApp(): Promise<void> {
  await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/build-app.ts')], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`building the Electron app failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
  });
}

export interface ElectronAppOptions {
  readonly electron: string;
  /** Its own user-data directory: Electron's profile and the engine's data, and its own single-instance lock. */
  readonly userDataDir: string;
  readonly logFile: string;
}

/** One Electron instance for one person: a window of its own. */
export async function startElectronApp(person: DemoPerson, options: ElectronAppOptions): Promise<RunningApp> {
  await mkdir(dirname(options.logFile), { recursive: true });
  const log = await open(options.logFile, 'a');
  try {
    const child = spawn(options.electron, ['.', `--user-data-dir=${options.userDataDir}`], {
      cwd: REPO_ROOT,
      stdio: ['ignore', log.fd, log.fd],
    });
    const started = supervise(child, person, options.logFile);
    await once(child, 'spawn');
    return started();
  } finally {
    // The child has its own copy of the descriptor.
    await log.close();
  }
}
