import type { MatrixClient } from 'matrix-js-sdk';
import type { StoredSession } from '../../../../shared/ipc-contract';

/*
 * matrix-js-sdk, with its Rust crypto keeping this device's keys in IndexedDB, encrypted with the key
 * the main side keeps beside the session in the system's secret store. Events (rooms, messages,
 * encryption) are matrix-js-sdk's; files are the engine's, on the other side of the contract.
 * The library is loaded when someone is signed in, so the sign-in form does not wait for it.
 */

/** One database per account and device: a new sign-in never meets another device's keys. */
export function cryptoDatabasePrefix(session: Pick<StoredSession, 'userId' | 'deviceId'>): string {
  return `slipstream:${session.userId}:${session.deviceId}`;
}

export function newCryptoStoreKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes));
}

function keyBytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** A restored session whose device keys this page does not hold (see startMatrixClient). */
export class DeviceKeysMissingError extends Error {
  constructor() {
    super(
      "This window does not hold your Slipstream device's encryption keys (the app's address changed, or the browser's data was cleared), so it cannot read or send encrypted messages. Sign in again to make a new device.",
    );
  }
}

async function holdsDeviceKeys(session: Pick<StoredSession, 'userId' | 'deviceId'>): Promise<boolean> {
  const names = new Set((await indexedDB.databases()).map((database) => database.name));
  return cryptoDatabaseNames(session).every((name) => names.has(name));
}

/**
 * Makes the client, opens its crypto store and starts syncing. A session restored (not `fresh`) on a
 * page without its keys is refused: a new, empty key store would try to publish keys the homeserver
 * already holds for this device, and the device could never decrypt again.
 */
export async function startMatrixClient(
  session: StoredSession & { cryptoStoreKey: string },
  fresh: boolean,
): Promise<MatrixClient> {
  if (!fresh && !(await holdsDeviceKeys(session))) throw new DeviceKeysMissingError();
  const sdk = await import('matrix-js-sdk');
  const client = sdk.createClient({
    baseUrl: session.homeserverUrl,
    userId: session.userId,
    deviceId: session.deviceId,
    accessToken: session.accessToken,
    timelineSupport: true,
  });
  await client.initRustCrypto({
    cryptoDatabasePrefix: cryptoDatabasePrefix(session),
    storageKey: keyBytes(session.cryptoStoreKey),
  });
  await client.startClient({ initialSyncLimit: 40, lazyLoadMembers: true });
  return client;
}

/** The two databases matrix-js-sdk's Rust crypto keeps for a prefix. */
export function cryptoDatabaseNames(session: Pick<StoredSession, 'userId' | 'deviceId'>): string[] {
  const prefix = cryptoDatabasePrefix(session);
  return [`${prefix}::matrix-sdk-crypto`, `${prefix}::matrix-sdk-crypto-meta`];
}

/**
 * Deletes this device's keys from the page's storage. Done here rather than by the client's
 * clearStores so it works also when the client never started (a sign-out after it failed to open).
 */
export async function deleteDeviceKeys(session: Pick<StoredSession, 'userId' | 'deviceId'>): Promise<void> {
  await Promise.all(
    cryptoDatabaseNames(session).map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = () => resolve();
          request.onerror = () => reject(new Error(`the stored keys (${name}) could not be deleted`));
        }),
    ),
  );
}

/** How long a sync response already received is given to reach the crypto layer before it closes. */
const SYNC_SETTLE_MS = 300;

/**
 * Stops syncing, then closes the crypto store. matrix-js-sdk's stopClient closes its crypto first and
 * stops the sync loop after, so a sync response being processed at that moment meets a closed
 * OlmMachine ("null pointer passed to rust", logged as an error). The sync loop is stopped first here
 * (through its own `stop`, which stopClient calls again harmlessly) and given a moment.
 */
export async function stopMatrixClient(client: MatrixClient): Promise<void> {
  (client as unknown as { syncApi?: { stop(): void } }).syncApi?.stop();
  await new Promise((resolve) => setTimeout(resolve, SYNC_SETTLE_MS));
  client.stopClient();
}
