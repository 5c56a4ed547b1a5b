import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import type { ContractApi } from '../../shared/ipc/contract-kit.js';
import { connectContract } from '../../shared/ipc/message-link.js';
import { type AppContract, appContract } from '../../shared/ipc-contract.js';
import { websocketLink } from '../../main/core/browser-host/websocket-link.js';
import { CLI_NODE_ARGS } from './cli.js';

/** A `slipstream app` process started by a test. */
export interface HostProcess {
  /** The address it printed, with its launch key. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote on stderr so far (its log), for failure messages. */
  log(): string;
  /** SIGTERM (transfers stop where they are) and wait for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing is flushed. */
  kill(): Promise<void>;
}

export interface HostProcessOptions {
  readonly dataDir: string;
  readonly port?: number;
  /** HOME for the host: the folders its chooser lists and sends may come from. */
  readonly home?: string;
  readonly folders?: readonly string[];
  readonly files?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts `bin/slipstream app --no-open` as a user would (the CLI's V8 options, its own process) and
 * resolves once it has printed its address. The first start after a renderer change builds it.
 */
export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  const args = ['app', '--no-open', '--data-dir', options.dataDir];
  if (options.port !== undefined) args.push('--port', String(options.port));
  for (const folder of options.folders ?? []) args.push('--folder', folder);
  args.push(...(options.files ?? []));
  const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
    env: {
      ...process.env,
      SLIPSTREAM_TEST_FAST_RETRY: '1',
      ...(options.home !== undefined && { HOME: options.home }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`slipstream app printed no address in 120 s:\n${stderr}`)),
      120_000,
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`slipstream app exited (${code}) before printing its address:\n${stderr}`));
    });
  });
  const parsed = new URL(url);
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    child,
    log: () => stderr,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

/** Trades a host's launch key for its session cookie, as the page does when it opens the printed URL. */
export async function sessionCookieFor(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const cookie = response.headers.get('set-cookie');
  if (response.status !== 303 || !cookie)
    throw new Error(`the host did not accept its own key: HTTP ${response.status}`);
  return cookie.split(';')[0]!;
}

/**
 * The app contract over the host's WebSocket, as the page gets it: what tests use to inspect what the
 * UI cannot show (a send's event content) and to drive the contract directly.
 */
export async function connectToHost(url: string): Promise<ContractApi<AppContract> & { disconnect(): void }> {
  const { origin } = new URL(url);
  const cookie = await sessionCookieFor(url);
  const socket = new WebSocket(`${origin.replace('http:', 'ws:')}/ipc`, {
    headers: { Cookie: cookie, Origin: origin },
  });
  await once(socket, 'open');
  const api = connectContract(websocketLink(socket), appContract);
  return {
    ...api,
    disconnect: () => {
      api.disconnect();
      socket.close();
    },
  };
}
