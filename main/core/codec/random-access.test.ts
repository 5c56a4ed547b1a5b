import { describe, expect, it } from 'vitest';
import { isCodecError } from '../../../shared/msc4016/codec-error.js';
import { FRAME_OVERHEAD, MAGIC } from '../../../shared/msc4016/frame.js';
import { collect, encryptBuffer, framesOf, joinFrames, randomPlaintext } from '../../../tests/support/codec.js';
import { sealFrames } from './block-cipher.js';
import { generateV3KeyMaterial } from './key-material.js';
import {
  buildBlockIndex,
  decryptBlock,
  mapStream,
  type RandomAccessCiphertext,
  readPlaintextRange,
  resynchronise,
} from './random-access.js';

const BLOCK = 4096;
const keys = generateV3KeyMaterial();

function inMemory(buffer: Buffer): RandomAccessCiphertext & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    size: buffer.length,
    reads,
    async read(start, end) {
      reads.push([start, end]);
      return buffer.subarray(start, Math.min(end, buffer.length));
    },
  };
}

/** A stream whose blocks have the given plaintext sizes, as the reference encoder emits for uneven chunks. */
function variableStream(plaintext: Buffer, sizes: number[]): Buffer {
  const frames: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < plaintext.length; i++) {
    const size = Math.min(sizes[i % sizes.length]!, plaintext.length - offset);
    frames.push(sealFrames(keys, i, plaintext.subarray(offset, offset + size), size));
    offset += size;
  }
  return joinFrames(frames);
}

describe('single-block decryption', () => {
  it('decrypts any one block from its ciphertext alone', async () => {
    const plaintext = randomPlaintext(10 * BLOCK);
    const frames = framesOf(await encryptBuffer(plaintext, keys, BLOCK));
    expect(decryptBlock(keys, frames[7]!, 7).equals(plaintext.subarray(7 * BLOCK, 8 * BLOCK))).toBe(true);
  });

  it('refuses a block served for another position', async () => {
    const frames = framesOf(await encryptBuffer(randomPlaintext(3 * BLOCK), keys, BLOCK));
    expect(() => decryptBlock(keys, frames[1]!, 2)).toThrow(/asked for block 2 but got block 1/);
  });
});

describe('plaintext ranges from a seekable ciphertext', () => {
  it('reads only the frames that hold the requested bytes', async () => {
    const plaintext = randomPlaintext(100 * BLOCK + 17);
    const ciphertext = inMemory(await encryptBuffer(plaintext, keys, BLOCK));
    const map = await mapStream(ciphertext, BLOCK, plaintext.length);
    ciphertext.reads.length = 0;
    const first = 50 * BLOCK + 100;
    const last = 51 * BLOCK + 5;
    const bytes = await collect(readPlaintextRange(ciphertext, keys, map, first, last));
    expect(bytes.equals(plaintext.subarray(first, last + 1))).toBe(true);
    const read = ciphertext.reads.reduce((total, [start, end]) => total + (end - start), 0);
    expect(read).toBe(2 * (BLOCK + FRAME_OVERHEAD));
    expect(ciphertext.reads[0]![0]).toBe(MAGIC.length + 50 * (BLOCK + FRAME_OVERHEAD));
  });

  it('infers a constant block size from the first frame when the file block does not declare it', async () => {
    const plaintext = randomPlaintext(20 * BLOCK + 1);
    const ciphertext = inMemory(await encryptBuffer(plaintext, keys, BLOCK));
    const map = await mapStream(ciphertext, undefined, undefined);
    expect(map.kind).toBe('uniform');
    expect(map.kind === 'uniform' && map.layout.blockSize).toBe(BLOCK);
    // Magic + first header, then the last frame's header: nothing else.
    expect(ciphertext.reads.length).toBe(2);
    const bytes = await collect(readPlaintextRange(ciphertext, keys, map, 20 * BLOCK, 20 * BLOCK));
    expect(bytes.equals(plaintext.subarray(20 * BLOCK))).toBe(true);
  });

  it('indexes a stream of variable block sizes by walking its headers, and reads ranges across them', async () => {
    const plaintext = randomPlaintext(50_000);
    const ciphertext = inMemory(variableStream(plaintext, [1, 100, 4096, 7, 9000]));
    const map = await mapStream(ciphertext, undefined, plaintext.length);
    expect(map.kind).toBe('indexed');
    for (const [first, last] of [
      [0, 0],
      [1, 101],
      [4000, 30_000],
      [49_999, 49_999],
    ] as const) {
      expect(
        (await collect(readPlaintextRange(ciphertext, keys, map, first, last))).equals(
          plaintext.subarray(first, last + 1),
        ),
      ).toBe(true);
    }
  });

  it('recovers when variable blocks happen to fit the layout guessed from the first frame', async () => {
    // 100 + 50 + 150 + 100: four blocks, 400 bytes, exactly the length four 100-byte blocks would give.
    const plaintext = randomPlaintext(400);
    const ciphertext = inMemory(variableStream(plaintext, [100, 50, 150, 100]));
    const map = await mapStream(ciphertext, undefined, plaintext.length);
    expect(map.kind === 'uniform' && map.inferred).toBe(true);
    for (const [first, last] of [
      [120, 130],
      [210, 220],
      [0, 399],
      [95, 305],
    ] as const) {
      const bytes = await collect(readPlaintextRange(ciphertext, keys, map, first, last));
      expect(bytes.equals(plaintext.subarray(first, last + 1)), `range ${first}-${last}`).toBe(true);
    }
  });

  it('walks the headers of many small frames in a few reads', async () => {
    const plaintext = randomPlaintext(20_000);
    const ciphertext = inMemory(variableStream(plaintext, [7, 13]));
    const index = await buildBlockIndex(ciphertext);
    expect(index.plaintextSize).toBe(plaintext.length);
    expect(index.frameStarts.length - 1).toBe(2000);
    expect(ciphertext.reads.length).toBeLessThan(5);
  });

  it('refuses a declared block size the stream does not have', async () => {
    const ciphertext = inMemory(await encryptBuffer(randomPlaintext(5 * BLOCK), keys, BLOCK));
    await expect(mapStream(ciphertext, BLOCK * 2, undefined)).rejects.toThrow(/declared 8192-byte blocks/);
  });

  it('refuses a range outside the file', async () => {
    const ciphertext = inMemory(await encryptBuffer(randomPlaintext(BLOCK), keys, BLOCK));
    const map = await mapStream(ciphertext, BLOCK, BLOCK);
    await expect(collect(readPlaintextRange(ciphertext, keys, map, 0, BLOCK))).rejects.toThrow(RangeError);
  });

  it('never returns a byte of a tampered block', async () => {
    const plaintext = randomPlaintext(10 * BLOCK);
    const bytes = await encryptBuffer(plaintext, keys, BLOCK);
    const target = MAGIC.length + 6 * (BLOCK + FRAME_OVERHEAD) + 16 + 10;
    bytes.writeUInt8(bytes.readUInt8(target) ^ 1, target);
    const ciphertext = inMemory(bytes);
    const map = await mapStream(ciphertext, BLOCK, plaintext.length);
    const delivered: Buffer[] = [];
    let error: unknown;
    try {
      for await (const chunk of readPlaintextRange(ciphertext, keys, map, 6 * BLOCK, 6 * BLOCK + 5))
        delivered.push(chunk);
    } catch (caught) {
      error = caught;
    }
    expect(isCodecError(error, 'CRC_MISMATCH')).toBe(true);
    expect(delivered).toHaveLength(0);
  });

  it('builds a block index from headers alone', async () => {
    const plaintext = randomPlaintext(3 * BLOCK + 5);
    const index = await buildBlockIndex(inMemory(await encryptBuffer(plaintext, keys, BLOCK)));
    expect(index.plaintextStarts).toEqual([0, BLOCK, 2 * BLOCK, 3 * BLOCK, 3 * BLOCK + 5]);
    expect(index.frameStarts[1]).toBe(4 + BLOCK + FRAME_OVERHEAD);
  });
});

describe('resynchronisation by hunting the registration code', () => {
  it('finds the next genuine frame from an arbitrary offset', async () => {
    const plaintext = randomPlaintext(40_000);
    const stream = variableStream(plaintext, [3000, 11, 7000]);
    const frames = framesOf(stream);
    const secondStart = MAGIC.length + frames[0]!.length;
    const found = resynchronise(stream, 10, keys);
    expect(found?.offset).toBe(secondStart);
    expect(found?.header.sequence).toBe(1);
  });

  it('confirms zero-CRC frames by authenticating them, skipping a forged header in the way', async () => {
    const plaintext = randomPlaintext(20_000);
    const frames = framesOf(variableStream(plaintext, [5000])).map((frame) => {
      const copy = Buffer.from(frame);
      copy.writeUInt32LE(0, 12);
      return copy;
    });
    // A registration code with a plausible header inside junk must not be taken for a frame.
    const junk = Buffer.alloc(64, 0x11);
    junk.writeUInt32LE(0xffffffff, 8);
    junk.writeUInt32LE(2, 12);
    junk.writeUInt32LE(32, 16);
    junk.writeUInt32LE(0, 20);
    const buffer = Buffer.concat([junk, frames[2]!, frames[3]!]);
    const found = resynchronise(buffer, 0, keys);
    expect(found?.offset).toBe(junk.length);
    expect(found?.header.sequence).toBe(2);
  });

  it('bounds the work spent on forged zero-CRC candidates', async () => {
    // A buffer of nothing but plausible forged headers: each claims a 1 MiB block.
    const forged = Buffer.alloc(64 * 1024);
    for (let offset = 0; offset + 16 <= forged.length; offset += 16) {
      forged.writeUInt32LE(0xffffffff, offset);
      forged.writeUInt32LE(0, offset + 4);
      forged.writeUInt32LE(1024 * 1024 + 16, offset + 8);
      forged.writeUInt32LE(0, offset + 12);
    }
    expect(resynchronise(forged, 0, keys)).toBeUndefined();
  });

  it('reports nothing when no complete genuine frame is present', async () => {
    const frames = framesOf(await encryptBuffer(randomPlaintext(3 * BLOCK), keys, BLOCK));
    expect(resynchronise(frames[0]!.subarray(0, 100), 0, keys)).toBeUndefined();
    expect(resynchronise(Buffer.alloc(1000, 0xff), 0, keys)).toBeUndefined();
  });
});
