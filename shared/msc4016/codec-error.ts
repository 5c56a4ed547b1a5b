/**
 * Every way a ciphertext can be refused. The code is for programs; the message is for people.
 * Decryptors fail closed: after any of these, no further plaintext is produced.
 */
export type CodecErrorCode =
  | 'BAD_MAGIC'
  | 'BAD_REGISTRATION_CODE'
  | 'OUT_OF_ORDER_BLOCK'
  | 'BLOCK_TOO_LARGE'
  | 'BLOCK_SIZE_MISMATCH'
  | 'CRC_MISMATCH'
  | 'TAMPERED_BLOCK'
  | 'TRUNCATED'
  | 'TRAILING_DATA'
  | 'TOO_LONG'
  | 'TOO_MANY_BLOCKS'
  | 'HASH_MISMATCH'
  | 'INVALID_KEY';

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  /** The block the problem was found in, when there is one. */
  readonly block: number | undefined;

  constructor(code: CodecErrorCode, message: string, block?: number) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
    this.block = block;
  }
}

export function isCodecError(error: unknown, code?: CodecErrorCode): error is CodecError {
  return error instanceof CodecError && (code === undefined || error.code === code);
}
