/**
 * The two shapes `npm run bench:host` measures, each behind one interface: send a file and wait for
 * its completion as the front end hears it, open and close the measuring windows of its processes, and
 * its responsiveness probes.
 *
 * - desktop: the desktop app's shape. The benchmark's own process is main: an EngineHostSupervisor
 *   with forwardingHandlers, as main/electron wires them, whose engine host is a forked Node child
 *   with the V8 options Electron's utilityProcess gets (bench/host-engine-child.ts). Every pushed event
 *   is structured-cloned once, as `webContents.send` does on its way to the renderer. With
 *   `cipher: 'node:crypto'` the engine host seals with node:crypto, as it must inside Electron (which
 *   links BoringSSL: no native cipher).
 * - browser host: the engine in the host's own process, with the host's HTTP side beside it
 *   (bench/host-backend-child.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { EngineHostSupervisor, forwardingHandlers } from '../main/core/engine-host/engine-host-supervisor.js';
import { forkedEngineProcess } from '../main/core/engine-host/process-link.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import type { StoredSession } from '../shared/ipc-contract.js';
import { isFinalStatus, type TransferUpdate } from '../shared/transfer/transfer-update.js';
import type { BenchMessage } from './host-child-kit.js';
import { BenchChild } from './host-processes.js';
import { httpGet, ProbeSeries } from './host-probes.js';
import { LoopDelayWindow, type LoopDelayFigures } from './loop-delay.js';

export type ConfigurationName = 'desktop' | 'desktop-node-crypto' | 'browser-host';

/** A process whose event-loop delay is measured over windows. */
export interface MeasuredLoop {
  start(): Promise<void>;
  stop(): Promise<LoopDelayFigures>;
}

export interface SendOutcome {
  readonly seconds: number;
  /** transferUpdated events for this transfer that reached the front end's side. */
  readonly updates: number;
}

export interface MeasuredHost {
  /** Which cipher the engine seals with in the host process, as that process says. */
  readonly cipher: string;
  /** From the call to sendFile to the front end's hearing of 'completed'. */
  send(path: string): Promise<SendOutcome>;
  /** 'host': the engine's process; 'main': the benchmark's own (main's side in the desktop shape). */
  readonly loops: { readonly host: MeasuredLoop; readonly main: MeasuredLoop };
  readonly probes: readonly ProbeSeries[];
  close(): Promise<void>;
}

export interface HostSetting {
  /** Where data directories and the children's logs go. */
  readonly root: string;
  /** The children's bundles, by entry name (bench/host-responsiveness.ts builds them). */
  readonly bundle: (entry: string) => string;
  readonly nodeArgs: readonly string[];
  readonly env: Record<string, string>;
  readonly session: StoredSession;
  readonly sampleFolder: string;
  readonly log: (line: string) => void;
}

/** The benchmark's own process as a measured loop. */
export function ownLoop(): MeasuredLoop {
  const window = new LoopDelayWindow();
  return { start: async () => window.start(), stop: async () => window.stop() };
}

/** Follows transferUpdated events by transfer: counts them and settles when the transfer does. */
class UpdateTracker {
  private readonly counts = new Map<string, number>();
  private readonly finals = new Map<string, TransferUpdate>();
  private readonly waiters = new Map<string, (update: TransferUpdate) => void>();
  private failure: Error | undefined;
  private readonly failWaiters = new Set<(error: Error) => void>();

  hear(event: string, payload: unknown): void {
    if (event !== 'transferUpdated') return;
    const update = payload as TransferUpdate;
    this.counts.set(update.id, (this.counts.get(update.id) ?? 0) + 1);
    if (isFinalStatus(update.status)) {
      this.finals.set(update.id, update);
      this.waiters.get(update.id)?.(update);
    }
  }

  /** Every wait fails with `error` (the host process died). */
  fail(error: Error): void {
    this.failure = error;
    for (const reject of this.failWaiters) reject(error);
  }

  async settled(id: string): Promise<{ update: TransferUpdate; updates: number }> {
    const update =
      this.finals.get(id) ??
      (await new Promise<TransferUpdate>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        this.failWaiters.add(reject);
        this.waiters.set(id, (settled) => {
          this.failWaiters.delete(reject);
          resolve(settled);
        });
      }));
    if (update.status !== 'completed')
      throw new Error(`the send ended ${update.status}: ${JSON.stringify(update.failure)}`);
    return { update, updates: this.counts.get(id) ?? 0 };
  }
}

async function freshDirectory(path: string): Promise<string> {
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { recursive: true });
  return path;
}

function childLoop(child: () => BenchChild): MeasuredLoop {
  return { start: () => child().startWindow(), stop: () => child().stopWindow() };
}

export async function openDesktop(setting: HostSetting, cipher: 'native' | 'node:crypto'): Promise<MeasuredHost> {
  const dataDir = await freshDirectory(join(setting.root, 'desktop-data'));
  // Main's keychain (safeStorage in Electron) keeps its key outside the engine's data directory.
  const keychain = new FileSecretStore(join(setting.root, 'desktop-keychain.key'));
  const tracker = new UpdateTracker();
  let child: BenchChild | undefined;
  const supervisor = new EngineHostSupervisor({
    spawn: () => {
      child = new BenchChild('engine-host', setting.bundle('host-engine-child'), [], {
        nodeArgs: setting.nodeArgs,
        env: {
          ...setting.env,
          SLIPSTREAM_DATA_DIR: dataDir,
          ...(cipher === 'node:crypto' && { SLIPSTREAM_NATIVE_CIPHER: '0' }),
        },
        logDir: setting.root,
      });
      const forked = child.process;
      void child.exited.then((code) => tracker.fail(new Error(`the engine host exited (${code})`)));
      return { ...forkedEngineProcess(forked), kill: () => forked.kill() };
    },
    platform: {
      platformInfo: () => ({
        appVersion: '0.1.0',
        electron: 'none (bench: a Node child)',
        chrome: 'none',
        downloadsFolder: dataDir,
        secretStorage: keychain.description,
      }),
      sealSecret: async ({ secret }) => ({ sealed: await keychain.seal(secret) }),
      openSecret: async ({ sealed }) => ({ secret: await keychain.open(sealed) }),
      showItemInFolder: () => null,
      openPath: () => null,
    },
    onEvent: (event, payload) => {
      // What main does with each event: hand it to the renderer's IPC, which structured-clones it.
      serialize(payload);
      tracker.hear(event, payload);
    },
    log: (line) => setting.log(`supervisor: ${line}`),
    // A crash is a failed run here, not something to recover from.
    maxRestarts: 0,
  });
  supervisor.start();
  const engineHost = (): BenchChild => child!;
  const { cipher: cipherInUse } = await engineHost().next('ready');
  const handlers = forwardingHandlers(() => supervisor.api());
  await handlers.saveSession(setting.session);
  const endpoint = await supervisor.api().mediaEndpoint();
  return {
    cipher: String(cipherInUse),
    send: async (path) => {
      const started = performance.now();
      const { transferId } = await handlers.sendFile({ source: { kind: 'path', path }, format: 'v3' });
      const { updates } = await tracker.settled(transferId);
      return { seconds: (performance.now() - started) / 1000, updates };
    },
    loops: { host: childLoop(engineHost), main: ownLoop() },
    probes: [
      new ProbeSeries('contract', () => Promise.resolve(handlers.appInfo(undefined))),
      // No transfer has this ID: the media handler answers 404 at once, through the endpoint's whole stack.
      new ProbeSeries('media endpoint', () =>
        httpGet(`${endpoint.url}/transfer/`, { Authorization: `Bearer ${endpoint.secret}` }),
      ),
    ],
    close: () => supervisor.stop(),
  };
}

export async function openBrowserHost(setting: HostSetting): Promise<MeasuredHost> {
  const dataDir = await freshDirectory(join(setting.root, 'browser-host-data'));
  const tracker = new UpdateTracker();
  const child = new BenchChild('browser-host', setting.bundle('host-backend-child'), [dataDir, setting.sampleFolder], {
    nodeArgs: setting.nodeArgs,
    env: setting.env,
    logDir: setting.root,
  });
  void child.exited.then((code) => tracker.fail(new Error(`the browser host exited (${code})`)));
  child.onMessage((message) => {
    if (message.type === 'event') tracker.hear(message['name'] as string, message['payload']);
  });
  const ready = await child.next('ready');
  const call = async (command: BenchMessage, answer: string) => {
    child.send(command);
    const message = await child.next(answer);
    if (message['error'] !== undefined) throw new Error(`${command.type}: ${String(message['error'])}`);
    return message;
  };
  await call({ type: 'sign-in', session: setting.session }, 'signed-in');
  const probeUrl = String(ready['probeUrl']);
  return {
    cipher: String(ready['cipher']),
    send: async (path) => {
      const started = performance.now();
      const { transferId } = await call({ type: 'send', path }, 'sent');
      const { updates } = await tracker.settled(String(transferId));
      return { seconds: (performance.now() - started) / 1000, updates };
    },
    loops: { host: childLoop(() => child), main: ownLoop() },
    probes: [new ProbeSeries('http', () => httpGet(`${probeUrl}/probe`))],
    close: () => child.end(),
  };
}
