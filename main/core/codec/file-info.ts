import {
  BLOCK_SIZE_FIELD,
  type EncryptedFile,
  V2_VERSION,
  type V2EncryptedFile,
  V3_VERSION,
  type V3EncryptedFile,
} from '../../../shared/msc4016/encrypted-file.js';
import { encodeUnpaddedBase64 } from './base64.js';
import { exportJsonWebKey, importKeyMaterial, type KeyMaterial } from './key-material.js';

/** The v3 `file` block for freshly generated keys, everything but `url` (known only once media exists). */
export function v3FileInfo(keys: KeyMaterial, blockSize: number): V3EncryptedFile {
  return {
    v: V3_VERSION,
    key: exportJsonWebKey(keys.key, 'A256GCM'),
    iv: encodeUnpaddedBase64(keys.iv),
    [BLOCK_SIZE_FIELD]: blockSize,
  };
}

export function v2FileInfo(keys: KeyMaterial, sha256: string): V2EncryptedFile {
  return {
    v: V2_VERSION,
    key: exportJsonWebKey(keys.key, 'A256CTR'),
    iv: encodeUnpaddedBase64(keys.iv),
    hashes: { sha256 },
  };
}

export function keyMaterialOf(file: EncryptedFile): KeyMaterial {
  return importKeyMaterial(file.key, file.iv, file.v === V3_VERSION ? 12 : 16);
}

/** The sender's declared constant block size, if the block carries one. */
export function declaredBlockSize(file: V3EncryptedFile): number | undefined {
  return file[BLOCK_SIZE_FIELD];
}
