import { afterAll, describe, expect, it, vi } from 'vitest';
import { isCodecError, type CodecErrorCode } from '../../../shared/msc4016/codec-error.js';
import { FRAME_OVERHEAD, MAGIC, MAX_BLOCK_COUNT } from '../../../shared/msc4016/frame.js';
import {
  chunked,
  collect,
  decryptCapturing,
  encryptBuffer,
  flipBits,
  framesOf,
  joinFrames,
  randomPlaintext,
  withFixedCrc,
} from '../../../tests/support/codec.js';
import { sealFrames } from './block-cipher.js';
import { blockCipherFor } from './block-cipher-choice.js';
import { CipherWorkerPool } from './cipher-worker-pool.js';
import { type FrameCipher, inlineFrameCipher, inlineFrameCipherWith } from './frame-cipher.js';
import { generateV3KeyMaterial } from './key-material.js';
import { SpareBuffers } from './spare-buffers.js';
import { decryptV3 } from './v3-decryptor.js';
import { encryptV3 } from './v3-encryptor.js';

const BLOCK = 4096;
const keys = generateV3KeyMaterial();
const pool = new CipherWorkerPool({ threads: 2 });
const sharedPool = new CipherWorkerPool({ threads: 1, shareCallingThread: true });
const nodeSharedPool = new CipherWorkerPool({ threads: 1, shareCallingThread: true, blockCipher: 'node:crypto' });
afterAll(() => Promise.all([pool.close(), sharedPool.close(), nodeSharedPool.close()]));

/** Every way the codec runs blocks, each suite below runs against all of them. */
const CIPHERS: [string, FrameCipher][] = [
  ['inline', inlineFrameCipher],
  ['worker pool', pool],
  ['one worker sharing the calling thread', sharedPool],
  ['inline node:crypto', inlineFrameCipherWith('node:crypto')],
  ['one worker sharing the calling thread, node:crypto', nodeSharedPool],
];

function expectCode(error: unknown, code: CodecErrorCode): void {
  expect(isCodecError(error), `expected a CodecError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

describe.each(CIPHERS)('v3 round trip (%s cipher)', (_name, cipher) => {
  it.each([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 37 * BLOCK + 5, 300 * BLOCK])(
    'restores %i bytes exactly',
    async (size) => {
      const plaintext = randomPlaintext(size);
      const ciphertext = await encryptBuffer(plaintext, keys, BLOCK, cipher, [1000, 7, 65536]);
      const blocks = Math.ceil(size / BLOCK);
      expect(ciphertext.length).toBe(MAGIC.length + size + blocks * FRAME_OVERHEAD);
      const { plaintext: restored, error } = await decryptCapturing(
        ciphertext,
        { keys, expectedSize: size, blockSize: BLOCK, cipher },
        [3, 5000, 17],
      );
      expect(error).toBeUndefined();
      expect(restored.equals(plaintext)).toBe(true);
    },
  );
});

describe.each(CIPHERS)('v3 streams whose consumer lets yielded buffers be reused (%s cipher)', (name, cipher) => {
  const reusesMemory = blockCipherFor('fastest').name === 'native' && !name.includes('node:crypto');

  /**
   * Consumes as a writer does, checking each yielded buffer only after letting every batch in
   * flight finish: the contract is that a yielded buffer is untouched until the next is asked for.
   */
  async function consumeSlowly(stream: AsyncIterable<Buffer>, expected: Buffer): Promise<number> {
    let offset = 0;
    for await (const bytes of stream) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      expect(bytes.equals(expected.subarray(offset, offset + bytes.length))).toBe(true);
      offset += bytes.length;
    }
    return offset;
  }

  it('encrypts and decrypts exactly, writing later batches into memory the consumer handed back', async () => {
    const take = vi.spyOn(SpareBuffers.prototype, 'take');
    const reuse = cipher.reuse ? vi.spyOn(cipher as Required<FrameCipher>, 'reuse') : undefined;
    try {
      const plaintext = randomPlaintext(97 * BLOCK + 11);
      const ciphertext = await encryptBuffer(plaintext, keys, BLOCK, inlineFrameCipherWith('node:crypto'));
      const batching = { maxBatchBytes: 4 * BLOCK, reuseYieldedBuffers: true };
      const encrypted = encryptV3(chunked(plaintext, [5000, 3 * BLOCK]), {
        keys,
        blockSize: BLOCK,
        cipher,
        ...batching,
      });
      expect(await consumeSlowly(encrypted, ciphertext)).toBe(ciphertext.length);
      const decrypted = decryptV3(chunked(ciphertext, [7000, 2 * BLOCK + 3]), {
        keys,
        blockSize: BLOCK,
        expectedSize: plaintext.length,
        cipher,
        ...batching,
      });
      expect(await consumeSlowly(decrypted, plaintext)).toBe(plaintext.length);
      // 25 batches each way: all but the first few in flight are written into memory handed back.
      const handedBack = new Set(reuse?.mock.calls.map(([storage]) => storage));
      const reused = take.mock.results.filter(({ value }) => handedBack.has(value as ArrayBuffer)).length;
      if (reusesMemory) expect(reused).toBeGreaterThan(30);
      else expect(reused).toBe(0);
    } finally {
      take.mockRestore();
      reuse?.mockRestore();
    }
  });

  it('hands back the memory of a batch that stopped at a tampered block, after its sound blocks', async () => {
    const plaintext = randomPlaintext(40 * BLOCK);
    const frames = framesOf(await encryptBuffer(plaintext, keys, BLOCK));
    flipBits(frames[21]!, 100, 0x01);
    frames[21] = withFixedCrc(frames[21]!);
    const delivered: Buffer[] = [];
    let failure: unknown;
    try {
      for await (const bytes of decryptV3(chunked(joinFrames(frames), [9000]), {
        keys,
        blockSize: BLOCK,
        cipher,
        maxBatchBytes: 4 * BLOCK,
        reuseYieldedBuffers: true,
      })) {
        delivered.push(Buffer.from(bytes));
      }
    } catch (error) {
      failure = error;
    }
    expectCode(failure, 'TAMPERED_BLOCK');
    expect(Buffer.concat(delivered).equals(plaintext.subarray(0, 21 * BLOCK))).toBe(true);
  });
});

describe('v3 stream layout', () => {
  it('starts with the magic and numbers frames from zero, every integer little-endian', async () => {
    const ciphertext = await encryptBuffer(randomPlaintext(2 * BLOCK + 10), keys, BLOCK);
    expect([...ciphertext.subarray(0, 4)]).toEqual([0x4d, 0x58, 0x43, 0x03]);
    const frames = framesOf(ciphertext);
    expect(frames.map((frame) => frame.readUInt32LE(0))).toEqual([0xffffffff, 0xffffffff, 0xffffffff]);
    expect(frames.map((frame) => frame.readUInt32LE(4))).toEqual([0, 1, 2]);
    expect(frames.map((frame) => frame.readUInt32LE(8))).toEqual([BLOCK + 16, BLOCK + 16, 10 + 16]);
    expect(frames.every((frame) => frame.readUInt32LE(12) !== 0)).toBe(true);
  });

  it('cuts blocks by size whatever the input chunking, so a stream re-encrypted from any offset is identical', async () => {
    const plaintext = randomPlaintext(10 * BLOCK + 3);
    const a = await encryptBuffer(plaintext, keys, BLOCK, inlineFrameCipher, [1]);
    const b = await encryptBuffer(plaintext, keys, BLOCK, pool, [BLOCK * 3 + 1, 5]);
    expect(a.equals(b)).toBe(true);
  });

  it('an empty source gives the magic alone, and both that and a zero-byte stream decrypt to nothing', async () => {
    expect((await encryptBuffer(Buffer.alloc(0), keys, BLOCK)).equals(Buffer.from(MAGIC))).toBe(true);
    expect((await decryptCapturing(Buffer.from(MAGIC), { keys, expectedSize: 0 })).error).toBeUndefined();
    expect((await decryptCapturing(Buffer.alloc(0), { keys, expectedSize: 0 })).error).toBeUndefined();
  });

  it('handles one-byte input chunks into large blocks', async () => {
    const plaintext = randomPlaintext(3 * 65_536 + 7);
    const ciphertext = await encryptBuffer(plaintext, keys, 65_536, inlineFrameCipher, [1, 2, 3]);
    const { plaintext: restored, error } = await decryptCapturing(ciphertext, { keys, expectedSize: plaintext.length });
    expect(error).toBeUndefined();
    expect(restored.equals(plaintext)).toBe(true);
  });

  it('respects backpressure: the encryptor reads no further ahead than its bounded pipeline', async () => {
    let pulled = 0;
    const source = (function* () {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.alloc(BLOCK);
      }
    })();
    const encryptor = encryptV3(source, { keys, blockSize: BLOCK, cipher: inlineFrameCipher });
    await encryptor.next(); // magic
    await encryptor.next(); // first sealed batch
    expect(pulled).toBeLessThan(16);
    await encryptor.return(undefined);
  });
});

describe('v3 decryption fails closed', () => {
  const plaintext = randomPlaintext(5 * BLOCK + 100);
  const ciphertextPromise = encryptBuffer(plaintext, keys, BLOCK);

  it('refuses a stream without the magic', async () => {
    const ciphertext = Buffer.from(await ciphertextPromise);
    ciphertext[3] = 0x02;
    const { plaintext: out, error } = await decryptCapturing(ciphertext, { keys });
    expectCode(error, 'BAD_MAGIC');
    expect(out.length).toBe(0);
  });

  it('refuses a frame that does not start with the registration code', async () => {
    const frames = framesOf(await ciphertextPromise);
    const bad = Buffer.from(frames[2]!);
    bad[1] = 0xfe;
    const { plaintext: out, error } = await decryptCapturing(
      joinFrames([frames[0]!, frames[1]!, bad, ...frames.slice(3)]),
      { keys },
    );
    expectCode(error, 'BAD_REGISTRATION_CODE');
    expect(out.equals(plaintext.subarray(0, 2 * BLOCK))).toBe(true);
  });

  it('refuses a gap in the sequence (a dropped block)', async () => {
    const frames = framesOf(await ciphertextPromise);
    const { error } = await decryptCapturing(joinFrames([frames[0]!, frames[2]!, ...frames.slice(3)]), { keys });
    expectCode(error, 'OUT_OF_ORDER_BLOCK');
    expect((error as { block: number }).block).toBe(1);
  });

  it('refuses a repeated block', async () => {
    const frames = framesOf(await ciphertextPromise);
    const { error } = await decryptCapturing(joinFrames([frames[0]!, frames[1]!, frames[1]!, ...frames.slice(2)]), {
      keys,
    });
    expectCode(error, 'OUT_OF_ORDER_BLOCK');
  });

  it('refuses reordered blocks', async () => {
    const frames = framesOf(await ciphertextPromise);
    const { error } = await decryptCapturing(joinFrames([frames[1]!, frames[0]!, ...frames.slice(2)]), { keys });
    expectCode(error, 'OUT_OF_ORDER_BLOCK');
  });

  it('refuses a block moved to another position even when its header is rewritten to fit', async () => {
    const frames = framesOf(await ciphertextPromise);
    const moved = Buffer.from(frames[1]!);
    moved.writeUInt32LE(0, 4); // claims to be block 0, but was sealed with block 1's IV and AAD
    const { error } = await decryptCapturing(joinFrames([withFixedCrc(moved), ...frames.slice(1)]), { keys });
    expectCode(error, 'TAMPERED_BLOCK');
  });

  it('refuses an absurd block length from the header alone, before buffering it', async () => {
    const frames = framesOf(await ciphertextPromise);
    const header = Buffer.from(frames[0]!.subarray(0, 16));
    header.writeUInt32LE(0xfffffff0, 8);
    // Only the header arrives: the decryptor must fail now, not wait for four gigabytes.
    const { error } = await decryptCapturing(Buffer.concat([Buffer.from(MAGIC), header]), { keys });
    expectCode(error, 'BLOCK_TOO_LARGE');
  });

  it('caps the block size a reader accepts', async () => {
    const big = await encryptBuffer(randomPlaintext(70_000), keys, 65_536);
    const { error } = await decryptCapturing(big, { keys, maxBlockSize: 32_768 });
    expectCode(error, 'BLOCK_TOO_LARGE');
  });

  it('refuses a block whose non-zero CRC does not match', async () => {
    const frames = framesOf(await ciphertextPromise);
    const bad = Buffer.from(frames[1]!);
    flipBits(bad, 40, 0x01);
    const { plaintext: out, error } = await decryptCapturing(joinFrames([frames[0]!, bad, ...frames.slice(2)]), {
      keys,
    });
    expectCode(error, 'CRC_MISMATCH');
    expect(out.equals(plaintext.subarray(0, BLOCK))).toBe(true);
  });

  it('accepts a CRC of zero as absent, as the upstream reference writes it', async () => {
    const frames = framesOf(await ciphertextPromise).map((frame) => {
      const copy = Buffer.from(frame);
      copy.writeUInt32LE(0, 12);
      return copy;
    });
    const { plaintext: out, error } = await decryptCapturing(joinFrames(frames), {
      keys,
      expectedSize: plaintext.length,
    });
    expect(error).toBeUndefined();
    expect(out.equals(plaintext)).toBe(true);
  });

  it('refuses a block whose GCM tag fails, and yields nothing of that block', async () => {
    const frames = framesOf(await ciphertextPromise);
    const bad = Buffer.from(frames[3]!);
    flipBits(bad, 100, 0x80);
    const { plaintext: out, error } = await decryptCapturing(
      joinFrames([...frames.slice(0, 3), withFixedCrc(bad), ...frames.slice(4)]),
      {
        keys,
      },
    );
    expectCode(error, 'TAMPERED_BLOCK');
    expect((error as { block: number }).block).toBe(3);
    expect(out.equals(plaintext.subarray(0, 3 * BLOCK))).toBe(true);
  });

  it('refuses the wrong key at the first block', async () => {
    const { plaintext: out, error } = await decryptCapturing(await ciphertextPromise, {
      keys: generateV3KeyMaterial(),
    });
    expectCode(error, 'TAMPERED_BLOCK');
    expect((error as Error).message).toMatch(/key is wrong/);
    expect(out.length).toBe(0);
  });

  it('refuses the right key with the wrong IV', async () => {
    const { error } = await decryptCapturing(await ciphertextPromise, {
      keys: { key: keys.key, iv: generateV3KeyMaterial().iv },
    });
    expectCode(error, 'TAMPERED_BLOCK');
  });

  it('refuses a stream cut at a block boundary when the expected size is known', async () => {
    const frames = framesOf(await ciphertextPromise);
    const cut = joinFrames(frames.slice(0, 3));
    expect((await decryptCapturing(cut, { keys })).error).toBeUndefined();
    const { error } = await decryptCapturing(cut, { keys, expectedSize: plaintext.length });
    expectCode(error, 'TRUNCATED');
  });

  it('refuses a stream cut inside a frame even without an expected size', async () => {
    const ciphertext = await ciphertextPromise;
    const { plaintext: out, error } = await decryptCapturing(ciphertext.subarray(0, ciphertext.length - 10), { keys });
    expectCode(error, 'TRUNCATED');
    expect(out.equals(plaintext.subarray(0, 5 * BLOCK))).toBe(true);
  });

  it('refuses a stream cut inside its magic', async () => {
    const { error } = await decryptCapturing(Buffer.from(MAGIC.subarray(0, 2)), { keys });
    expectCode(error, 'TRUNCATED');
  });

  it('refuses more plaintext than expected before decrypting the excess', async () => {
    const { plaintext: out, error } = await decryptCapturing(await ciphertextPromise, {
      keys,
      expectedSize: 2 * BLOCK + 1,
    });
    expectCode(error, 'TOO_LONG');
    expect(out.equals(plaintext.subarray(0, 2 * BLOCK))).toBe(true);
  });

  it('refuses blocks that break the declared block size', async () => {
    const odd = await encryptBuffer(plaintext, keys, BLOCK / 2);
    const { error } = await decryptCapturing(odd, { keys, blockSize: BLOCK });
    expectCode(error, 'BLOCK_SIZE_MISMATCH');
  });

  it('refuses a short block followed by another when the block size is declared', async () => {
    const frames = framesOf(await encryptBuffer(randomPlaintext(BLOCK + 10), keys, BLOCK));
    const shortFirst = framesOf(await encryptBuffer(randomPlaintext(10), keys, BLOCK))[0]!;
    const next = Buffer.from(frames[1]!);
    const { error } = await decryptCapturing(joinFrames([shortFirst, next]), { keys, blockSize: BLOCK });
    expectCode(error, 'BLOCK_SIZE_MISMATCH');
  });

  it.each([
    ['the worker pool', pool],
    ['a pool sharing the calling thread', sharedPool],
  ])('reports errors from %s with the same codes as inline, after the good blocks', async (_name, cipher) => {
    const frames = framesOf(await ciphertextPromise);
    const bad = Buffer.from(frames[4]!);
    flipBits(bad, 50, 1);
    // Small batches spread the blocks over the workers and the calling thread.
    const { plaintext: out, error } = await decryptCapturing(
      joinFrames([...frames.slice(0, 4), withFixedCrc(bad), ...frames.slice(5)]),
      { keys, cipher, maxBatchBytes: BLOCK },
      [BLOCK + 40],
    );
    expectCode(error, 'TAMPERED_BLOCK');
    expect(out.equals(plaintext.subarray(0, 4 * BLOCK))).toBe(true);
  });
});

describe('worker pool failures', () => {
  it('a worker that dies fails its jobs with a reason, and later jobs run on a replacement', async () => {
    const fragile = new CipherWorkerPool({ threads: 1 });
    try {
      const plaintext = randomPlaintext(3 * BLOCK);
      expect((await encryptBuffer(plaintext, keys, BLOCK, fragile)).length).toBeGreaterThan(0);
      const { workers } = fragile as unknown as { workers: { worker: { terminate(): Promise<number> } }[] };
      // Stopped before it can answer: the job posted to it must fail, not wait forever.
      const dying = workers[0]!.worker.terminate();
      const inFlight = fragile.sealBlocks(keys, 0, [plaintext], BLOCK);
      await dying;
      await expect(inFlight).rejects.toThrow(/cipher worker stopped unexpectedly/);
      const ciphertext = await encryptBuffer(plaintext, keys, BLOCK, fragile);
      const { plaintext: restored, error } = await decryptCapturing(ciphertext, { keys, cipher: fragile });
      expect(error).toBeUndefined();
      expect(restored.equals(plaintext)).toBe(true);
    } finally {
      await fragile.close();
    }
  });
});

describe('the 2^32-block limit', () => {
  it('a writer refuses to seal a block numbered 2^32', () => {
    let error: unknown;
    try {
      sealFrames(keys, MAX_BLOCK_COUNT - 1, Buffer.alloc(2 * 16), 16);
    } catch (caught) {
      error = caught;
    }
    expectCode(error, 'TOO_MANY_BLOCKS');
    // The last legal block still seals.
    expect(sealFrames(keys, MAX_BLOCK_COUNT - 1, Buffer.alloc(16), 16).readUInt32LE(4)).toBe(0xffffffff);
  });

  it('a reader stops at the stream position 2^32 instead of wrapping', async () => {
    const last = sealFrames(keys, MAX_BLOCK_COUNT - 1, Buffer.alloc(16, 7), 16);
    const wrapped = sealFrames(keys, 0, Buffer.alloc(16, 8), 16);
    const source = chunked(Buffer.concat([last, wrapped]));
    let delivered: Buffer = Buffer.alloc(0);
    let error: unknown;
    try {
      delivered = await collect(decryptV3(source, { keys, firstSequence: MAX_BLOCK_COUNT - 1, expectMagic: false }));
    } catch (caught) {
      error = caught;
    }
    expectCode(error, 'TOO_MANY_BLOCKS');
    expect(delivered.length).toBe(0);
  });
});
