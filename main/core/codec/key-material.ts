import { randomBytes } from 'node:crypto';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import type { JsonWebKey } from '../../../shared/msc4016/encrypted-file.js';
import { decodeBase64Url, decodeUnpaddedBase64, encodeBase64Url } from './base64.js';

/** The secret half of an attachment: a 256-bit AES key and the IV its blocks are derived from. */
export interface KeyMaterial {
  readonly key: Buffer;
  /** v3: 12 random bytes; v2: 16 bytes, the high 8 random and the 64-bit counter half zero. */
  readonly iv: Buffer;
}

/** Bytes as the codec consumes them: a Node stream, an async generator, or an array of chunks. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export type CipherAlgorithm = 'A256GCM' | 'A256CTR';

export function generateV3KeyMaterial(): KeyMaterial {
  return { key: randomBytes(32), iv: randomBytes(12) };
}

export function generateV2KeyMaterial(): KeyMaterial {
  // The counter half starts at zero so the 64-bit counter cannot wrap within any real file.
  const iv = Buffer.alloc(16);
  randomBytes(8).copy(iv, 0);
  return { key: randomBytes(32), iv };
}

export function exportJsonWebKey(key: Uint8Array, alg: CipherAlgorithm): JsonWebKey {
  return { kty: 'oct', alg, k: encodeBase64Url(key), key_ops: ['encrypt', 'decrypt'], ext: true };
}

export function importKeyMaterial(jwk: JsonWebKey, ivText: string, ivLength: 12 | 16): KeyMaterial {
  let key: Buffer;
  let iv: Buffer;
  try {
    key = decodeBase64Url(jwk.k, 'the key');
    iv = decodeUnpaddedBase64(ivText, 'the IV');
  } catch (error) {
    throw new CodecError('INVALID_KEY', (error as Error).message);
  }
  if (key.length !== 32) throw new CodecError('INVALID_KEY', `the key is ${key.length} bytes; AES-256 needs 32`);
  if (iv.length !== ivLength)
    throw new CodecError('INVALID_KEY', `the IV is ${iv.length} bytes; it must be ${ivLength}`);
  return { key, iv };
}
