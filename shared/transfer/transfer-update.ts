import { z } from 'zod';

/**
 * What the UI learns about a transfer: one snapshot per update, small enough to cross IPC often.
 * The engine in main/core produces these; the renderer (through the IPC contract) and the CLI's
 * progress display consume them. No key material and no access token ever appears here.
 */

export const transferStatuses = [
  'queued',
  'uploading',
  'downloading',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;
export const transferStatusSchema = z.enum(transferStatuses);
export type TransferStatus = z.infer<typeof transferStatusSchema>;

/** Statuses a transfer never leaves. */
export const finalStatuses: readonly TransferStatus[] = ['completed', 'failed', 'cancelled'];
export const isFinalStatus = (status: TransferStatus): boolean => finalStatuses.includes(status);

export const transferDirectionSchema = z.enum(['send', 'receive']);
export type TransferDirection = z.infer<typeof transferDirectionSchema>;

/** Why a transfer failed: a stable machine code and a sentence a person can act on. */
export const transferFailureSchema = z.strictObject({
  code: z.string().min(1).max(64),
  message: z.string().min(1).max(2000),
});
export type TransferFailure = z.infer<typeof transferFailureSchema>;

export const transferUpdateSchema = z.strictObject({
  id: z.string().min(1).max(64),
  direction: transferDirectionSchema,
  status: transferStatusSchema,
  /** When the transfer began (ms since the epoch): the transfers panel lists the newest first. */
  createdAt: z.number().int().nonnegative(),
  /** The file's display name (already sanitised for receives). */
  fileName: z.string(),
  mimetype: z.string(),
  /** Plaintext bytes sent (on their way to the server) or received (authenticated and written). */
  bytesDone: z.number().int().nonnegative(),
  bytesTotal: z.number().int().nonnegative(),
  /** Bytes per second, smoothed; 0 when idle. */
  rate: z.number().nonnegative(),
  /** Seconds to completion at the current rate, when it can be estimated. */
  etaSeconds: z.number().nonnegative().optional(),
  /** The `mxc://` URI of the media. */
  contentUri: z.string().optional(),
  /** Where a completed receive was saved (the final name). */
  savedPath: z.string().optional(),
  /** Set while the engine waits to try again after a transient failure. */
  retry: z.strictObject({ attempt: z.number().int().positive(), inMs: z.number().nonnegative() }).optional(),
  failure: transferFailureSchema.optional(),
  /** The room the file was shared in, when the app said (sends from a room, receives from an event). */
  roomId: z.string().min(1).max(255).optional(),
  /** The event that shares the file: a receive's source; a send's own, once the app noted it (noteSendEvents). */
  eventId: z.string().min(1).max(255).optional(),
  /**
   * A send of a file dropped onto the browser host's page: it was copied into the app, so it has no
   * folder of its own on this machine to show.
   */
  dropped: z.literal(true).optional(),
  /**
   * SHA-256 of the whole ciphertext (unpadded base64): a completed send's, for its outcome event
   * (shared/matrix/transfer-outcome.ts); a receive's, once it has every byte.
   */
  ciphertextSha256: z.string().optional(),
  /** A receive that has every byte and waits for the sender's outcome event before saving the file. */
  waitingForOutcome: z.literal(true).optional(),
  /** A completed receive whose ciphertext matched the SHA-256 the sender published (v2's `hashes`, or the outcome event). */
  verified: z.literal(true).optional(),
  /** A receive of a plain `url` file: it was not end-to-end encrypted. */
  unencrypted: z.literal(true).optional(),
  /** A receive cancelled because its sender cancelled the upload. */
  cancelledBySender: z.literal(true).optional(),
  /** A send whose file event was posted (the app said so with `noteSendEvents`). */
  announced: z.literal(true).optional(),
  /** A send whose outcome event was posted. */
  outcomeAnnounced: z.literal(true).optional(),
});
export type TransferUpdate = z.infer<typeof transferUpdateSchema>;
