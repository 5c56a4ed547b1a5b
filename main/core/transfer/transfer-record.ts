import { z } from 'zod';
import { transferIdSchema } from '../../../shared/app/identifiers.js';
import { transferFailureSchema, transferStatusSchema } from '../../../shared/transfer/transfer-update.js';

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

export const uploadMethodSchema = z.enum(['tus', 'put', 'post']);
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
  format: z.enum(['v3', 'v2']),
  /** Plaintext size (`info.size`). */
  size: z.number().int().nonnegative(),
  /** The complete `file` block, sealed by the SecretStore. */
  sealedFile: z.string().min(1),
  failure: transferFailureSchema.optional(),
  /** The account that made the transfer: another account signed in on the same homeserver does not see or resume it. */
  userId: z.string().min(1).max(255).optional(),
  /** The room the file was shared in and the event that shares it, as the app said (for its UI only). */
  roomId: z.string().min(1).max(255).optional(),
  eventId: z.string().min(1).max(255).optional(),
};

export const sendRecordSchema = z.strictObject({
  ...common,
  direction: z.literal('send'),
  source: sourceIdentitySchema,
  /** Absent only while a one-shot upload (no MSC2246 on the server) has not finished. */
  contentUri: z.string().startsWith('mxc://').optional(),
  uploadMethod: uploadMethodSchema,
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
  contentUri: z.string().startsWith('mxc://'),
  destinationDir: z.string().min(1),
  /** The hidden partial file in `destinationDir`; renamed to `savedPath` only when complete. */
  partialPath: z.string().min(1),
  savedPath: z.string().optional(),
  checkpoint: receiveCheckpointSchema,
});
export type ReceiveRecord = z.infer<typeof receiveRecordSchema>;

export const transferRecordSchema = z.discriminatedUnion('direction', [sendRecordSchema, receiveRecordSchema]);
export type TransferRecord = z.infer<typeof transferRecordSchema>;
