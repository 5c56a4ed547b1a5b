import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { IpcError, isFailureCode } from '../../../shared/ipc/ipc-error.js';
import { MatrixHttpError } from '../transfer/matrix-http-error.js';
import { describeFsFailure, failureOf, isErrno, TransferError } from '../transfer/transfer-error.js';

/**
 * An error from the engine or the file system as the code and sentence the contract carries. Anything
 * not recognised is passed on unchanged: the dispatcher reports it as INTERNAL and logs it whole.
 */
export function asIpcError(error: unknown): unknown {
  if (error instanceof IpcError) return error;
  if (error instanceof TransferError || error instanceof CodecError || error instanceof MatrixHttpError) {
    const failure = failureOf(error);
    const code = isFailureCode(failure.code) ? failure.code : 'SERVER_REFUSED';
    return new IpcError(code, failure.message);
  }
  // A file-system call's failure (it names its syscall); other coded Node errors are programming errors.
  if (isErrno(error) && typeof error.syscall === 'string') {
    const code = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? 'DISK_FULL' : 'FILE_SYSTEM';
    return new IpcError(code, describeFsFailure(error, 'a file operation failed'));
  }
  return error;
}
