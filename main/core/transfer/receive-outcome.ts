import { timingSafeEqual } from 'node:crypto';
import { truncate } from 'node:fs/promises';
import type { TransferOutcome } from '../../../shared/matrix/transfer-outcome.js';
import { markedFileName } from '../../../shared/transfer/safe-file-name.js';
import { isFinalStatus } from '../../../shared/transfer/transfer-update.js';
import { decodeUnpaddedBase64 } from '../codec/base64.js';
import { discardPartial, finalisePartialFile } from './destination.js';
import { isErrno, TransferError, writeFailure } from './transfer-error.js';
import type { ReceiveRecord, TransferRecord } from './transfer-record.js';

/**
 * What a receive whose every byte is in becomes, by the rules of docs/PROTOCOL.md §7: saved under its
 * name, kept hidden until its sender's outcome event comes, or deleted because it is not what the
 * sender uploaded. The engine applies these; the outcome event itself is read by the app.
 */

export type CompletedOutcome = Extract<TransferOutcome, { kind: 'completed' }>;

export type ReceiveVerdict =
  | { readonly kind: 'save'; readonly verified: boolean }
  | { readonly kind: 'wait' }
  | { readonly kind: 'mismatch'; readonly message: string };

/** A receive with every byte in, authenticated, hashed and durable: nothing is downloaded for it any more. */
export type CompleteReceive = ReceiveRecord & { readonly ciphertextSha256: string };

export function hasEveryByte(record: TransferRecord | undefined): record is CompleteReceive {
  return record?.direction === 'receive' && record.ciphertextSha256 !== undefined;
}

/**
 * A receive that is kept waiting for good (no outcome ever comes) could later be let go unverified:
 * that would be one more kind of outcome taken here, saving the file without `verified`.
 */
export function verdictOf(record: CompleteReceive): ReceiveVerdict {
  const { outcome } = record;
  if (outcome !== undefined) {
    if (outcome.size !== record.size) {
      return mismatch(record, `its sender uploaded ${outcome.size} bytes, but ${record.size} arrived`);
    }
    if (!sameSha256(outcome.ciphertextSha256, record.ciphertextSha256)) {
      return mismatch(record, 'its SHA-256 differs from the one its sender published');
    }
    return { kind: 'save', verified: true };
  }
  if (record.awaitsOutcome) return { kind: 'wait' };
  // A v2 file is here only if its ciphertext matched the SHA-256 its event carries (incoming-transfer.ts).
  return { kind: 'save', verified: record.format === 'v2' };
}

function mismatch(record: ReceiveRecord, why: string): ReceiveVerdict {
  return {
    kind: 'mismatch',
    message: `"${record.fileName}" is not the file its sender uploaded (${why}), so it was deleted`,
  };
}

/**
 * Applies the verdict to a receive with every byte in: the record of the file saved under its name
 * (never replacing another), undefined while it waits for its sender, or HASH_MISMATCH.
 */
export async function concludeReceive(record: CompleteReceive): Promise<ReceiveRecord | undefined> {
  const verdict = verdictOf(record);
  if (verdict.kind === 'wait') return undefined;
  if (verdict.kind === 'mismatch') throw new TransferError('HASH_MISMATCH', verdict.message);
  const savedPath = await finalisePartialFile(record.partialPath, record.destinationDir, record.fileName).catch(
    (error: unknown) => {
      throw writeFailure(error, record.destinationDir);
    },
  );
  return { ...record, savedPath, ...(verdict.verified && { verified: true as const }) };
}

/** A receive that has every byte and keeps its file hidden until the sender's outcome event comes. */
export function isWaitingForOutcome(record: TransferRecord | undefined): boolean {
  return hasEveryByte(record) && !isFinalStatus(record.status) && verdictOf(record).kind === 'wait';
}

/** Two SHA-256 digests in (unpadded) base64, compared in constant time; anything that is not one differs. */
export function sameSha256(a: string, b: string): boolean {
  let left: Buffer;
  let right: Buffer;
  try {
    left = decodeUnpaddedBase64(a);
    right = decodeUnpaddedBase64(b);
  } catch {
    return false;
  }
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

/**
 * Refuses an outcome for what is not an unfinished receive. A receive that failed still takes its
 * sender's cancel: the sender's cancel removes the media, so the receive often fails on the missing
 * media a moment before the cancel's event arrives, and "cancelled by the sender" is the truth.
 */
export function assertSettleable(record: TransferRecord, outcome: TransferOutcome): asserts record is ReceiveRecord {
  if (record.direction !== 'receive') {
    throw new TransferError(
      'WRONG_STATE',
      `"${record.fileName}" is a file being sent: only a received file takes its sender's outcome`,
    );
  }
  if (record.status === 'failed' && outcome.kind === 'cancelled') return;
  if (isFinalStatus(record.status)) {
    throw new TransferError(
      'WRONG_STATE',
      `"${record.fileName}" is already ${record.status}, so its sender's outcome changes nothing`,
    );
  }
}

/** The record with its sender's completed outcome remembered; a second outcome that differs is refused. */
export function withOutcome(record: ReceiveRecord, outcome: CompletedOutcome): ReceiveRecord {
  const known = record.outcome;
  if (known && (known.size !== outcome.size || !sameSha256(known.ciphertextSha256, outcome.ciphertextSha256))) {
    throw new TransferError(
      'WRONG_STATE',
      `"${record.fileName}" already has an outcome from its sender, and this one says something else`,
    );
  }
  return { ...record, outcome };
}

/**
 * What stays of a receive whose sender cancelled, when the person keeps such files: the part that
 * authenticated, under a visible name marked as incomplete ("film (incomplete).mp4", numbered rather
 * than replacing a file). A v2 file authenticates only as a whole, so before its last byte nothing of
 * it is kept. Returns where the file now is, or undefined when nothing was worth keeping.
 */
export async function keepIncomplete(record: ReceiveRecord): Promise<string | undefined> {
  const authenticated = record.format === 'v2' && !hasEveryByte(record) ? 0 : record.checkpoint.plaintextOffset;
  if (authenticated === 0) return undefined;
  try {
    // Bytes past the checkpoint may be there too; only the checkpoint says they are whole and synced.
    await truncate(record.partialPath, authenticated);
  } catch (error) {
    if (isErrno(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
  return finalisePartialFile(record.partialPath, record.destinationDir, markedFileName(record.fileName, 'incomplete'));
}

/**
 * A receive as its sender's cancel leaves it: what arrived kept under a name marked incomplete when
 * the person keeps such files (and there is something authenticated to keep), else deleted.
 */
export async function leftByCancel(
  record: ReceiveRecord,
  keepPartial: boolean,
  log?: (line: string) => void,
): Promise<ReceiveRecord> {
  const savedPath = keepPartial
    ? await keepIncomplete(record).catch((error: unknown) => {
        log?.(`keeping what arrived of ${record.fileName} failed: ${(error as Error).message}`);
        return undefined;
      })
    : undefined;
  if (savedPath === undefined) await discardPartial(record);
  return { ...record, cancelledBySender: true, ...(savedPath !== undefined && { savedPath }) };
}
