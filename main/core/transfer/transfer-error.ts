import { CodecError } from '../../../shared/msc4016/codec-error.js';
import type { TransferFailure } from '../../../shared/transfer/transfer-update.js';
import { MatrixHttpError } from './matrix-http-error.js';
import type { TransferRecord } from './transfer-record.js';

/**
 * Why a transfer stopped for good. Codec refusals (TAMPERED_BLOCK, TRUNCATED, …) keep their own
 * codes; these are the engine's.
 */
export type TransferErrorCode =
  /** The source file is not what it was when the transfer began: re-encrypting it would reuse the key and IV. */
  | 'SOURCE_CHANGED'
  | 'SOURCE_UNREADABLE'
  | 'DESTINATION_UNWRITABLE'
  | 'DISK_FULL'
  /** The server refused in a way waiting cannot fix (403, 413, …). */
  | 'SERVER_REFUSED'
  /** The media is gone: cancelled by its sender, expired, or never existed. */
  | 'MEDIA_UNAVAILABLE'
  /** The server or network kept failing after every retry. */
  | 'NETWORK'
  /** The server cannot take this upload at all (too large for its limit, no usable upload method). */
  | 'UNSUPPORTED_SERVER'
  /** The file that arrived is not what its sender uploaded: its size or SHA-256 differs from the sender's outcome event. */
  | 'HASH_MISMATCH'
  /** The stored state of a transfer cannot be read back (its keys cannot be unsealed, say). */
  | 'STATE_UNREADABLE'
  /** There is no transfer with that ID (it was forgotten, or never existed here). */
  | 'NO_SUCH_TRANSFER'
  /** The transfer is not in a state that allows what was asked (retry one that did not fail, forget one still running). */
  | 'WRONG_STATE';

export class TransferError extends Error {
  constructor(
    readonly code: TransferErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransferError';
  }
}

const FS_REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'it does not exist',
  EISDIR: 'it is a directory',
  EIO: 'the disk reported an I/O error',
};

/** A file-system error in plain words, naming the path. */
export function describeFsFailure(error: NodeJS.ErrnoException, what: string): string {
  const reason = (error.code && FS_REASONS[error.code]) ?? error.message;
  // The path is named once: callers often name it already ("cannot save into /x").
  const path = error.path && !what.includes(error.path) ? ` (${error.path})` : '';
  return `${what}${path}: ${reason}`;
}

export function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/**
 * A failure to write a receive's hidden partial file, named by the folder it is saved into: the
 * partial file's own name means nothing to the person, the folder (and its disk) does.
 */
export function savingFailure(error: unknown, record: { readonly destinationDir: string }): unknown {
  if (!isErrno(error)) return error;
  const code = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? 'DISK_FULL' : 'DESTINATION_UNWRITABLE';
  const reason = (error.code && FS_REASONS[error.code]) ?? error.message;
  return new TransferError(code, `cannot save into ${record.destinationDir}: ${reason}`, { cause: error });
}

/** A failure to write `path` (a receive's file or folder) as the transfer failure it is. */
export function writeFailure(error: unknown, path: string): unknown {
  if (!isErrno(error)) return error;
  const code = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? 'DISK_FULL' : 'DESTINATION_UNWRITABLE';
  return new TransferError(code, describeFsFailure(error, `cannot write ${path}`), { cause: error });
}

/** Any error, as the code and sentence a transfer's final state carries. */
export function failureOf(error: unknown): TransferFailure {
  if (error instanceof TransferError || error instanceof CodecError) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof MatrixHttpError) {
    return { code: error.errcode ?? `HTTP_${error.status}`, message: error.message };
  }
  if (isErrno(error) && (error.code === 'ENOSPC' || error.code === 'EDQUOT')) {
    return { code: 'DISK_FULL', message: describeFsFailure(error, 'writing the file failed') };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: message || 'an unexpected error occurred' };
}

export function isTransferError(error: unknown, code?: TransferErrorCode): error is TransferError {
  return error instanceof TransferError && (code === undefined || error.code === code);
}

/**
 * Refuses to retry what cannot be: a transfer that has not failed, a send whose source changed (it
 * cannot be sent again under the same key and IV) or whose upload the server dropped.
 */
export function assertRetryable(record: Pick<TransferRecord, 'direction' | 'status' | 'fileName' | 'failure'>): void {
  if (record.status !== 'failed') {
    throw new TransferError(
      'WRONG_STATE',
      `"${record.fileName}" has not failed (it is ${record.status}), so there is nothing to retry`,
    );
  }
  const code = record.failure?.code;
  if (record.direction === 'send' && (code === 'SOURCE_CHANGED' || code === 'MEDIA_UNAVAILABLE')) {
    throw new TransferError(
      'WRONG_STATE',
      code === 'SOURCE_CHANGED'
        ? `"${record.fileName}" changed after it was first sent, so it cannot be sent again under the same key; send it as a new file`
        : `the server no longer has the upload of "${record.fileName}"; send it as a new file`,
    );
  }
}
