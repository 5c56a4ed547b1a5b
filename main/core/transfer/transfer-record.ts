import { z } from 'zod';
import { transferIdSchema } from '../../../shared/app/identifiers.js';
import { transferOutcomeSchema } from '../../../shared/matrix/transfer-outcome.js';
import {
  isFinalStatus,
  transferFailureSchema,
  transferStatusSchema,
} from '../../../shared/transfer/transfer-update.js';

/**
 * What the engine persists about a transfer, one JSON file each (transfer-store.ts), so that a crash
 * or a restart resumes it. Key material is never here in plain text: `sealedFile` is the complete
 * `file` block (key and IV included) sealed by the injected SecretStore. Access tokens are never
 * stored; the front end supplies them again when it resumes a transfer.
 */

/** Enough to tell whether a file on disk is still the one a transfer began with. */
export const sourceIdentitySchema = z.strictObject({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** Nanosecond timestamps and inode numbers as decimal strings: they overflow a double. */
  mtimeNs: z.string().regex(/^\d+$/),
  ctimeNs: z.string().regex(/^\d+$/),
  ino: z.string().regex(/^\d+$/),
  dev: z.string().regex(/^\d+$/),
});
export type SourceIdentity = z.infer<typeof sourceIdentitySchema>;

/** `direct`: MSC3870, a PUT to the storage's presigned `upload_url`, then `/complete`. */
export const uploadMethodSchema = z.enum(['tus', 'put', 'post', 'direct']);
export type UploadMethod = z.infer<typeof uploadMethodSchema>;

const common = {
  id: transferIdSchema,
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  status: transferStatusSchema,
  homeserverUrl: z.url(),
  /** The display name: the source's base name for a send, the sanitised event name for a receive. */
  fileName: z.string().min(1),
  mimetype: z.string().min(1),
  /** Plaintext size (`info.size`). */
  size: z.number().int().nonnegative(),
  failure: transferFailureSchema.optional(),
  /** The account that made the transfer: another account signed in on the same homeserver does not see or resume it. */
  userId: z.string().min(1).max(255).optional(),
  /** The room the file was shared in and the event that shares it, as the app said (for its UI only). */
  roomId: z.string().min(1).max(255).optional(),
  eventId: z.string().min(1).max(255).optional(),
};

/** The complete `file` block, sealed by the SecretStore. */
const sealedFileSchema = z.string().min(1);
const completedOutcomeSchema = transferOutcomeSchema.options[0];
/** SHA-256 of the whole ciphertext as uploaded, unpadded base64 (what an outcome event carries). */
const ciphertextSha256Schema = z.string().regex(/^[A-Za-z0-9+/]{43}$/);

export const sendRecordSchema = z.strictObject({
  ...common,
  direction: z.literal('send'),
  format: z.enum(['v3', 'v2']),
  sealedFile: sealedFileSchema,
  source: sourceIdentitySchema,
  /** Absent only while a one-shot upload (no MSC2246 on the server) has not finished. */
  contentUri: z.string().startsWith('mxc://').optional(),
  uploadMethod: uploadMethodSchema,
  /** MSC3870: the presigned URL `/create` offered and the headers to send with it (while `uploadMethod` is `direct`). */
  directUpload: z.strictObject({ url: z.url(), headers: z.record(z.string(), z.string()) }).optional(),
  ciphertextSize: z.number().int().nonnegative(),
  /** Ciphertext bytes the server last acknowledged (a hint for the UI; on resume the server is asked). */
  acknowledged: z.number().int().nonnegative(),
  /**
   * Plaintext bytes sent when the upload last stopped (paused, or the app quit): what the UI shows until
   * it runs again. It may be a little ahead of what the server kept; a resume asks the server.
   */
  sentWhenStopped: z.number().int().nonnegative().optional(),
  /** How the plaintext is cut into ledger groups (ledger-groups.ts). */
  ledgerGroups: z.strictObject({ unit: z.number().int().positive(), cap: z.number().int().positive() }),
  /** Set when the upload completed: for the outcome event (docs/PROTOCOL.md §7). */
  ciphertextSha256: ciphertextSha256Schema.optional(),
  /** The app posted the outcome event (`eventId` is the file event it posted). */
  outcomeAnnounced: z.literal(true).optional(),
});
export type SendRecord = z.infer<typeof sendRecordSchema>;

/** How far a receive got: everything before these offsets is authenticated and durably written. */
export const receiveCheckpointSchema = z.strictObject({
  plaintextOffset: z.number().int().nonnegative(),
  ciphertextOffset: z.number().int().nonnegative(),
  /** The next v3 block's sequence number (0 for v2). */
  nextSequence: z.number().int().nonnegative(),
});
export type ReceiveCheckpoint = z.infer<typeof receiveCheckpointSchema>;

export const receiveRecordSchema = z.strictObject({
  ...common,
  direction: z.literal('receive'),
  /** `plain`: a file shared without end-to-end encryption (a top-level `url`), stored as it is. */
  format: z.enum(['v3', 'v2', 'plain']),
  /** Absent for `plain` files, which have no `file` block. */
  sealedFile: sealedFileSchema.optional(),
  contentUri: z.string().startsWith('mxc://'),
  destinationDir: z.string().min(1),
  /** The hidden partial file in `destinationDir`; renamed to `savedPath` only when complete. */
  partialPath: z.string().min(1),
  savedPath: z.string().optional(),
  checkpoint: receiveCheckpointSchema,
  /**
   * SHA-256 of the whole ciphertext as downloaded, set once every byte is in (and authenticated): the
   * partial file is complete from then on, and nothing is downloaded again.
   */
  ciphertextSha256: ciphertextSha256Schema.optional(),
  /** The file is saved only once the sender's outcome event matched (docs/PROTOCOL.md §7). */
  awaitsOutcome: z.literal(true).optional(),
  /**
   * The sender's completed outcome, kept from when it arrived (before the last byte, maybe) until
   * applied; a cancelled one is applied at once, so it is never kept.
   */
  outcome: completedOutcomeSchema.optional(),
  /** Saved after its ciphertext matched the SHA-256 its sender published (v2's `hashes`, or the outcome). */
  verified: z.literal(true).optional(),
  /** Cancelled because its sender cancelled the upload. */
  cancelledBySender: z.literal(true).optional(),
  /**
   * A v3 stream whose frames this engine would not write byte for byte (no declared block size, or a
   * CRC left 0, as the reference encoder does): its ciphertext cannot be re-derived from the plaintext
   * written, so after a restart its hash can only be had by downloading it again from the start.
   */
  foreignFraming: z.literal(true).optional(),
});
export type ReceiveRecord = z.infer<typeof receiveRecordSchema>;

export const transferRecordSchema = z.discriminatedUnion('direction', [sendRecordSchema, receiveRecordSchema]);
export type TransferRecord = z.infer<typeof transferRecordSchema>;

/**
 * What the app records on a transfer while it may be running (noteSendEvents, settleReceive): a
 * runner's copy of the record predates them, so they are carried over whenever it saves its copy.
 */
export function withAnnotationsOf<Record extends TransferRecord>(fromRunner: Record, current: TransferRecord): Record {
  const annotations =
    current.direction === 'send'
      ? { eventId: current.eventId, outcomeAnnounced: current.outcomeAnnounced }
      : { outcome: current.outcome, awaitsOutcome: current.awaitsOutcome };
  const merged: Record = { ...fromRunner };
  for (const [key, value] of Object.entries(annotations)) {
    if (value !== undefined) (merged as { [key: string]: unknown })[key] = value;
  }
  return merged;
}

/** Picks the unfinished send of the file at `path` (absolute) to this homeserver (normalised). */
export function unfinishedSendOf(path: string, homeserverUrl: string) {
  return (record: TransferRecord): record is SendRecord =>
    record.direction === 'send' &&
    !isFinalStatus(record.status) &&
    record.homeserverUrl === homeserverUrl &&
    record.source.path === path;
}

/** Picks the unfinished receive of this media into this folder. */
export function unfinishedReceiveOf(contentUri: string, destinationDir: string) {
  return (record: TransferRecord): record is ReceiveRecord =>
    record.direction === 'receive' &&
    !isFinalStatus(record.status) &&
    record.contentUri === contentUri &&
    record.destinationDir === destinationDir;
}
