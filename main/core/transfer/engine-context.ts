import type { FrameCipher } from '../codec/frame-cipher.js';
import type { SecretStore } from '../state/secret-store.js';
import type { MediaRepositoryClient } from './media-repository-client.js';
import type { DigestMark } from './receive-digest.js';
import type { SendDigest } from './send-digest.js';
import type { RetryPolicy } from './retry-policy.js';
import type { TransferRecord } from './transfer-record.js';
import type { TransferStore } from './transfer-store.js';

/** What the send and receive runners share with the engine that drives them. */
export interface EngineContext {
  readonly store: TransferStore;
  readonly secrets: SecretStore;
  readonly cipher: FrameCipher;
  readonly retry: RetryPolicy;
  /** Bytes per tus PATCH. */
  readonly tusChunkSize: number;
  /** MSC2246 `timeout_ms` for downloads: how long the server may wait for bytes not yet uploaded. */
  readonly downloadTimeoutMs: number;
  /**
   * Ciphertext digests a stopped run left, by transfer (a pause, a retry): the next run in this
   * process goes on from them instead of re-deriving them (send-digest.ts, receive-digest.ts).
   */
  readonly sendDigests: Map<string, SendDigest>;
  readonly receiveMarks: Map<string, DigestMark>;
  /** A media client for a homeserver, with the access token the front end supplied for it. */
  clientFor(homeserverUrl: string): Promise<MediaRepositoryClient>;
  now(): number;
}

/** What a running transfer tells the engine. */
export interface TransferReporter {
  /** Plaintext bytes done: sent to the server (send) or authenticated and written (receive). */
  progress(bytesDone: number): void;
  /** The runner waits `inMs` before attempt `attempt` after a transient failure. */
  retrying(attempt: number, inMs: number): void;
  /** The runner changed its record (a checkpoint, the media URI); the engine keeps it and persists it. */
  save(record: TransferRecord): Promise<void>;
}

/**
 * Drives one transfer to its end, resuming from what its record says: resolves with the final record,
 * rejects with the reason it cannot finish, or with the signal's reason when stopped.
 */
export type TransferRunner<Record extends TransferRecord> = (
  context: EngineContext,
  record: Record,
  signal: AbortSignal,
  reporter: TransferReporter,
) => Promise<Record>;
