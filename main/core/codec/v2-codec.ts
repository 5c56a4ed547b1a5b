import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { decodeUnpaddedBase64, encodeUnpaddedBase64 } from './base64.js';
import type { ByteSource, KeyMaterial } from './key-material.js';

/**
 * Legacy Matrix attachments (`v: "v2"`): AES-256-CTR over the whole file with a 64-bit counter in the
 * IV's low half, authenticated only by the SHA-256 of the ciphertext carried in the event.
 *
 * OpenSSL's CTR mode increments all 128 bits of the counter block, while the spec (and WebCrypto's
 * `length: 64`) wraps the low 64 bits alone. The two agree until the low half overflows, so the
 * cipher is restarted with the wrapped counter at exactly that point; with a spec-conforming IV
 * (low half zero) that never happens.
 */
export class CounterModeStream {
  private cipher;
  private blocksBeforeWrap: bigint;
  private readonly highHalf: Buffer;

  /**
   * `startBlock` positions the keystream at AES block `startBlock` (byte `16 × startBlock`), which is
   * what lets a resumed upload or download continue CTR mid-file without replaying it.
   */
  constructor(
    private readonly keys: KeyMaterial,
    private readonly direction: 'encrypt' | 'decrypt',
    startBlock = 0n,
  ) {
    if (keys.iv.length !== 16) throw new CodecError('INVALID_KEY', 'a v2 IV must be 16 bytes');
    this.highHalf = keys.iv.subarray(0, 8);
    const counter = (keys.iv.readBigUInt64BE(8) + startBlock) % 2n ** 64n;
    this.blocksBeforeWrap = 2n ** 64n - counter;
    const iv = Buffer.alloc(16);
    this.highHalf.copy(iv, 0);
    iv.writeBigUInt64BE(counter, 8);
    this.cipher = this.create(iv);
  }

  private create(iv: Buffer) {
    return this.direction === 'encrypt'
      ? createCipheriv('aes-256-ctr', this.keys.key, iv)
      : createDecipheriv('aes-256-ctr', this.keys.key, iv);
  }

  update(input: Buffer): Buffer {
    const bytesBeforeWrap = this.blocksBeforeWrap * 16n;
    if (BigInt(input.length) < bytesBeforeWrap) {
      this.blocksBeforeWrap -= BigInt(input.length) / 16n;
      // A partial AES block is only ever the last chunk's tail, so block accounting stays exact.
      return this.cipher.update(input);
    }
    const split = Number(bytesBeforeWrap);
    const head = this.cipher.update(input.subarray(0, split));
    const wrapped = Buffer.concat([this.highHalf, Buffer.alloc(8)]);
    this.cipher = this.create(wrapped);
    this.blocksBeforeWrap = 2n ** 64n;
    return Buffer.concat([head, this.update(input.subarray(split))]);
  }
}

/**
 * Node's CTR ciphers keep the keystream position across updates whatever their size, so chunks need
 * no alignment; only the wrap accounting above needs whole blocks, which `alignedChunks` guarantees.
 */
async function* alignedChunks(source: ByteSource): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of source) {
    const input = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    const aligned = input.length - (input.length % 16);
    if (aligned > 0) yield input.subarray(0, aligned);
    carry = input.subarray(aligned);
  }
  if (carry.length > 0) yield carry;
}

export interface V2EncryptResult {
  /** Resolves, once the stream has been fully consumed, to the unpadded-base64 SHA-256 for `hashes.sha256`. */
  readonly sha256: Promise<string>;
  readonly ciphertext: AsyncGenerator<Buffer>;
}

export function encryptV2(source: ByteSource, keys: KeyMaterial): V2EncryptResult {
  let resolveHash!: (hash: string) => void;
  let rejectHash!: (error: unknown) => void;
  const sha256 = new Promise<string>((resolve, reject) => {
    resolveHash = resolve;
    rejectHash = reject;
  });
  sha256.catch(() => undefined);
  async function* run(): AsyncGenerator<Buffer> {
    const counter = new CounterModeStream(keys, 'encrypt');
    const hash = createHash('sha256');
    try {
      for await (const chunk of alignedChunks(source)) {
        const ciphertext = counter.update(chunk);
        hash.update(ciphertext);
        yield ciphertext;
      }
      resolveHash(encodeUnpaddedBase64(hash.digest()));
    } catch (error) {
      rejectHash(error);
      throw error;
    }
  }
  return { sha256, ciphertext: run() };
}

/**
 * Decrypts a v2 attachment as it streams. CTR has no per-chunk authentication: the plaintext yielded
 * is provisional until the generator finishes, which it does only after the ciphertext's SHA-256
 * matched; on a mismatch it throws HASH_MISMATCH instead. Callers must write to a temporary place and
 * treat the file as complete only when iteration ends without an error.
 */
export async function* decryptV2(
  source: ByteSource,
  keys: KeyMaterial,
  expectedSha256: string,
): AsyncGenerator<Buffer> {
  const expected = decodeUnpaddedBase64(expectedSha256, 'hashes.sha256');
  if (expected.length !== 32) throw new CodecError('INVALID_KEY', 'hashes.sha256 is not a SHA-256 digest');
  const counter = new CounterModeStream(keys, 'decrypt');
  const hash = createHash('sha256');
  for await (const chunk of alignedChunks(source)) {
    hash.update(chunk);
    yield counter.update(chunk);
  }
  if (!timingSafeEqual(hash.digest(), expected)) {
    throw new CodecError('HASH_MISMATCH', 'the file does not match its SHA-256: it was altered or cut short');
  }
}
