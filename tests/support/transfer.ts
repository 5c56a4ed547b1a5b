import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSecretStore } from '../../main/core/state/secret-store.js';
import {
  type OutgoingFile,
  TransferEngine,
  type TransferEngineOptions,
} from '../../main/core/transfer/transfer-engine.js';
import { type MediaProxy, startMediaProxy } from './media-proxy.js';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from './stack.js';

/** A scratch directory per test file, removed afterwards. */
export async function scratchDirectory(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `slipstream-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export { makeSampleFile, sha256OfFile } from '../../scripts/lib/sample-file.js';

/** An engine with its own data directory and file secret store, as the CLI sets one up. */
export async function openTestEngine(
  directory: string,
  options: Partial<TransferEngineOptions> = {},
): Promise<TransferEngine> {
  await mkdir(directory, { recursive: true });
  return TransferEngine.open({
    dataDir: directory,
    secretStore: new FileSecretStore(join(directory, 'secret-store.key')),
    retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1000 },
    log: (line) => console.error(`engine: ${line}`),
    ...options,
  });
}

export interface TransferPair {
  stack: StackInfo;
  alice: MatrixUser;
  bob: MatrixUser;
  scratch: { path: string; remove(): Promise<void> };
  /** Alice's engine and Bob's, each with its own data directory. */
  sender: TransferEngine;
  receiver: TransferEngine;
}

/**
 * For a test file: the stack, two users, a scratch directory and a sending and a receiving engine,
 * set up before the tests and torn down after. Read the fields inside tests (they are filled in
 * `beforeAll`).
 */
export function useTransferPair(prefix: string): TransferPair {
  const pair = {} as TransferPair;
  beforeAll(async () => {
    pair.stack = await ensureStack();
    [pair.alice, pair.bob] = await Promise.all([registerUser(pair.stack), registerUser(pair.stack)]);
    pair.scratch = await scratchDirectory(prefix);
    pair.sender = await openTestEngine(join(pair.scratch.path, 'sender'));
    pair.receiver = await openTestEngine(join(pair.scratch.path, 'receiver'));
  });
  afterAll(async () => {
    await pair.sender?.close();
    await pair.receiver?.close();
    await pair.scratch?.remove();
  });
  return pair;
}

/** A fresh empty folder in the scratch directory, for one receive. */
export async function freshInbox(pair: TransferPair, name: string): Promise<string> {
  const path = join(pair.scratch.path, `${name}-${randomBytes(4).toString('hex')}`);
  await mkdir(path);
  return path;
}

/** Bob receives `event` straight from the stack into `destinationDir`. */
export function receiveAsBob(
  pair: TransferPair,
  event: unknown,
  destinationDir: string,
  options: { start?: boolean; homeserverUrl?: string } = {},
): Promise<string> {
  return pair.receiver.receive({
    event,
    homeserverUrl: options.homeserverUrl ?? pair.stack.baseUrl,
    accessToken: pair.bob.accessToken,
    destinationDir,
    ...(options.start !== undefined && { start: options.start }),
  });
}

/** Alice sends `path` through a proxy that holds her upload to `bytesPerSecond`. Close the proxy afterwards. */
export async function sendOverSlowLink(
  pair: TransferPair,
  path: string,
  bytesPerSecond: number,
): Promise<{ proxy: MediaProxy; outgoing: OutgoingFile }> {
  const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: bytesPerSecond });
  try {
    const outgoing = await pair.sender.send(path, { homeserverUrl: proxy.url, accessToken: pair.alice.accessToken });
    return { proxy, outgoing };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

/** A scratch directory made before each test and removed after it; read `.path` inside tests. */
export function useScratchDirectory(prefix: string): { path: string } {
  const current = { path: '' };
  let remove: () => Promise<void> = async () => undefined;
  beforeEach(async () => {
    const scratch = await scratchDirectory(prefix);
    current.path = scratch.path;
    remove = scratch.remove;
  });
  afterEach(() => remove());
  return current;
}

/** Resolves once `condition` holds (checked every 10 ms), or fails after `timeoutMs` naming `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
