import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SLIPSTREAM_NODE_FLAGS } from '../../main/core/node-flags.js';

/**
 * The CLI's entry point in this checkout, run as its first line runs it: Node with the CLI's V8
 * options (main/core/node-flags.ts), then `bin/slipstream ...`.
 */
export const CLI_PATH = fileURLToPath(new URL('../../bin/slipstream', import.meta.url));

/** Node's arguments before the CLI's own: its V8 options, then its entry point. */
export const CLI_NODE_ARGS: readonly string[] = [...SLIPSTREAM_NODE_FLAGS, CLI_PATH];

export interface CliResult {
  /** The exit status; a signal death is reported as 128 + its number, like a shell would. */
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  /** Bytes written to the CLI's standard input, which is then closed. Without it stdin is closed at once. */
  readonly stdin?: Buffer;
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kills the child after this long, so a hang fails its test instead of the whole run. */
  readonly timeoutMs?: number;
}

/** Runs `slipstream <args>` in a child Node process and collects everything it wrote. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A CLI that fails early stops reading; the rest of our input then meets a closed pipe.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** A CLI child still running: its stderr lines as they come, and how it ended. */
export interface RunningCli {
  readonly child: ReturnType<typeof spawn>;
  /** Resolves at the first stderr line for which `match` is true. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  readonly done: Promise<CliResult>;
}

/** Starts `slipstream <args>` and lets the test act while it runs (kill it at a chosen moment, say). */
export function spawnCli(
  args: readonly string[],
  options: Omit<RunOptions, 'stdin'> & { readonly stdin?: 'pipe' } = {},
): RunningCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // 'pipe': the test writes the CLI's standard input itself (child.stdin).
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  const watchers: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let partialLine = '';
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr += text;
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) {
      for (const watcher of [...watchers]) {
        if (watcher.match(line)) {
          watchers.splice(watchers.indexOf(watcher), 1);
          watcher.resolve(line);
        }
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
        stdout: Buffer.concat(stdout),
        stderr,
      });
    });
  });
  return {
    child,
    done,
    waitForLine: (match, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timeout = setTimeout(
          () => reject(new Error(`no matching line within ${timeoutMs} ms:\n${stderr}`)),
          timeoutMs,
        );
        void done.then(() => {
          clearTimeout(timeout);
          reject(new Error(`the CLI exited before a matching line:\n${stderr}`));
        });
        watchers.push({
          match,
          resolve: (line) => {
            clearTimeout(timeout);
            resolve(line);
          },
        });
      }),
  };
}

/** This process's environment without any ELECTRON_* variable. */
export function environmentWithoutElectron(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ELECTRON_')));
}

/** A fresh, empty directory under the system's temporary directory. */
export function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'slipstream-cli-test-'));
}

export function removeTempDir(directory: string): Promise<void> {
  return rm(directory, { recursive: true, force: true });
}

/** The hidden temporaries the CLI's atomic outputs write beside their targets: `.<name>.<hex>.partial`. */
export async function partialFilesIn(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => /^\..*\.partial$/.test(name));
}
