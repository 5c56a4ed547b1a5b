import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_HEADER_LENGTH } from '../../../shared/msc4016/frame.js';
import { decryptCapturing, encryptBuffer, randomPlaintext, withFixedCrc } from '../../../tests/support/codec.js';
import { type BlockCipher, type OpenedBlocks, nodeBlockCipher, sealFrames, streamPartsOf } from './block-cipher.js';
import { blockCipherFor } from './block-cipher-choice.js';
import { inlineFrameCipherWith } from './frame-cipher.js';
import { generateV3KeyMaterial, type KeyMaterial } from './key-material.js';
import {
  KNOWN_ANSWER,
  loadNativeCipherAddon,
  NATIVE_CIPHER_PATH,
  NATIVE_CIPHER_SWITCH,
} from './native-cipher-addon.js';
import { nativeBlockCipher } from './native-block-cipher.js';

/*
 * The native batch cipher must be indistinguishable from node:crypto: the same bytes for every key,
 * IV, sequence number, block size and input chunking, and the same refusals, with no plaintext of a
 * refused block. These tests need the built addon; where it is not built (or switched off) they are
 * skipped, and the fallback tests below still run.
 */
const { addon } = loadNativeCipherAddon();
const native: BlockCipher | undefined = addon && nativeBlockCipher(addon);
const withNative = native ? describe : describe.skip;

/** Splits `bytes` at the given cut points, as stream chunks arrive. */
function piecesOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) pieces.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return pieces;
}

function sealedStream(cipher: BlockCipher, keys: KeyMaterial, first: number, pieces: Buffer[], blockSize: number) {
  return Buffer.concat(streamPartsOf(cipher.sealBlocks(keys, first, pieces, blockSize)));
}

/** What a consumer of an opened batch sees: the bytes delivered (by digest), the refusal's code and block. */
function outcome({ plaintexts, failure }: OpenedBlocks) {
  const plaintext = Buffer.concat(plaintexts);
  return { length: plaintext.length, digest: digestOf(plaintext), code: failure?.code, block: failure?.block };
}

const digestOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const keyMaterial = fc
  .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }))
  .map(([key, iv]) => ({ key: Buffer.from(key), iv: Buffer.from(iv) }));
const blockSize = fc.oneof(fc.constantFrom(1, 15, 16, 17, 65536), fc.integer({ min: 1, max: 70_000 }));
const cuts = fc.array(fc.nat(), { maxLength: 6 });
/** Key material, block size, plaintext length and chunk cut points, in that order. */
const sizedChunkedInput = [keyMaterial, blockSize, fc.integer({ min: 0, max: 600_000 }), cuts] as const;
/** Enough blocks to cross every kind of chunk boundary; more only make node:crypto's side slow. */
const MAX_BLOCKS = 300;

describe('the native cipher known answer', () => {
  it('is what node:crypto seals for the same vector (CRC fields zero, as the addon leaves them)', () => {
    const { key, iv, plaintext, blockSize, firstSequence, framesSha256 } = KNOWN_ANSWER;
    const frames = sealFrames({ key, iv }, firstSequence, plaintext, blockSize);
    for (const frame of framesOfBatch(frames)) frame.fill(0, 12, 16);
    expect(createHash('sha256').update(frames).digest('hex')).toBe(framesSha256);
  });

  // CI builds the addon (scripts/setup.sh, --strict), so the comparisons below never go unrun there.
  it.runIf(process.env.CI === 'true')('is built and passes its self-test in CI', () => {
    expect(loadNativeCipherAddon().description).toMatch(/^the native cipher \(OpenSSL /);
  });
});

withNative('the native cipher beside node:crypto', () => {
  const cipher = native!;

  it('is the one the codec runs here, unless switched off', () => {
    expect(blockCipherFor().name).toBe(process.env[NATIVE_CIPHER_SWITCH] === '0' ? 'node:crypto' : 'native');
  });

  it('seals byte for byte as node:crypto, for any key, IV, sequence, block size and chunking', () => {
    fc.assert(
      fc.property(...sizedChunkedInput, fc.nat(), (keys, size, length, cutPoints, sequenceSeed) => {
        const plaintext = randomBytes(Math.min(length, size * MAX_BLOCKS));
        const blocks = Math.ceil(plaintext.length / size);
        const first = sequenceSeed % (2 ** 32 - blocks + 1);
        const expected = sealFrames(keys, first, plaintext, size);
        expect(sealedStream(cipher, keys, first, piecesOf(plaintext, cutPoints), size).equals(expected)).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  it('opens byte for byte as node:crypto, in both directions, however the frames are chunked', () => {
    fc.assert(
      fc.property(...sizedChunkedInput, (keys, size, length, cutPoints) => {
        const plaintext = randomBytes(Math.min(length, size * MAX_BLOCKS));
        const count = Math.ceil(plaintext.length / size);
        const byNode = sealFrames(keys, 7, plaintext, size);
        const byNative = sealedStream(cipher, keys, 7, [plaintext], size);
        for (const frames of [byNode, byNative]) {
          const pieces = piecesOf(frames, cutPoints);
          const opened = outcome(cipher.openFrames(keys, pieces, count));
          expect(opened).toEqual(outcome(nodeBlockCipher.openFrames(keys, pieces, count)));
          expect(opened).toEqual({
            length: plaintext.length,
            digest: digestOf(plaintext),
            code: undefined,
            block: undefined,
          });
        }
      }),
      { numRuns: 120 },
    );
  });

  it('refuses any changed byte with node:crypto’s code and block, delivering only the blocks before it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        cuts,
        (length, size, position, mask, fixCrc, cutPoints) => {
          const keys = generateV3KeyMaterial();
          const plaintext = randomBytes(length);
          const count = Math.ceil(length / size);
          const frames = sealFrames(keys, 0, plaintext, size);
          const index = position % frames.length;
          // A changed header byte cannot be hidden by fixing the CRC up: the CRC field is in it.
          fc.pre(!fixCrc || index % (size + 32) >= FRAME_HEADER_LENGTH);
          frames[index]! ^= mask;
          // With the CRC fixed up, a change in the ciphertext or tag must be caught by GCM itself.
          const stream = fixCrc ? Buffer.concat(framesOfBatch(frames).map(withFixedCrcIfSound)) : frames;
          const pieces = piecesOf(stream, cutPoints);
          const opened = outcome(cipher.openFrames(keys, pieces, count));
          expect(opened).toEqual(outcome(nodeBlockCipher.openFrames(keys, pieces, count)));
          expect(opened.code).toBeDefined();
          expect(opened.digest).toBe(digestOf(plaintext.subarray(0, opened.length)));
          expect(opened.length % size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses the wrong key at the first block and delivers nothing', () => {
    const keys = generateV3KeyMaterial();
    const frames = sealFrames(keys, 0, randomPlaintext(5000), 1000);
    const wrong = { key: randomBytes(32), iv: keys.iv };
    const opened = outcome(cipher.openFrames(wrong, [frames], 5));
    expect(opened).toEqual({ length: 0, digest: digestOf(Buffer.alloc(0)), code: 'TAMPERED_BLOCK', block: 0 });
    expect(outcome(nodeBlockCipher.openFrames(wrong, [frames], 5))).toEqual(opened);
  });

  it('refuses a truncated tag (a length field shortened to fit) and a batch cut inside a frame, as node:crypto does', () => {
    const keys = generateV3KeyMaterial();
    const plaintext = randomPlaintext(3000);
    const frames = sealFrames(keys, 0, plaintext, 1000);
    const [first, second, third] = framesOfBatch(frames);
    const shortened = Buffer.from(second!.subarray(0, second!.length - 4));
    shortened.writeUInt32LE(shortened.length - FRAME_HEADER_LENGTH, 8);
    for (const batch of [
      Buffer.concat([first!, withFixedCrc(shortened), third!]),
      Buffer.concat([first!, shortened, third!]),
      frames.subarray(0, frames.length - 4),
      frames.subarray(0, 1040),
    ]) {
      const opened = outcome(cipher.openFrames(keys, [batch], 3));
      expect(opened.code).toBeDefined();
      expect(opened).toEqual(outcome(nodeBlockCipher.openFrames(keys, [batch], 3)));
      expect(opened.digest).toBe(digestOf(plaintext.subarray(0, opened.length)));
    }
  });

  it('never hands out the bytes of a block whose tag failed', () => {
    const keys = generateV3KeyMaterial();
    const plaintext = randomPlaintext(4000);
    const frames = sealFrames(keys, 0, plaintext, 1000);
    const tampered = Buffer.from(frames.subarray(2 * 1032, 3 * 1032));
    tampered[500]! ^= 1;
    const batch = Buffer.concat([frames.subarray(0, 2 * 1032), withFixedCrc(tampered), frames.subarray(3 * 1032)]);
    const { plaintexts, failure } = cipher.openFrames(keys, [batch], 4);
    expect(failure?.code).toBe('TAMPERED_BLOCK');
    expect(failure?.block).toBe(2);
    expect(Buffer.concat(plaintexts).equals(plaintext.subarray(0, 2000))).toBe(true);
    // Nor is the refused block's plaintext anywhere in the memory behind the returned buffer.
    const memory = new Uint8Array(plaintexts[0]!.buffer);
    expect(Buffer.from(memory).indexOf(plaintext.subarray(2000, 2100))).toBe(-1);
  });
});

/** A batch's frames, trusting the length fields (as far as they go). */
function framesOfBatch(frames: Buffer): Buffer[] {
  const result: Buffer[] = [];
  for (let offset = 0; offset < frames.length;) {
    const length = offset + 12 <= frames.length ? FRAME_HEADER_LENGTH + frames.readUInt32LE(offset + 8) : Infinity;
    result.push(frames.subarray(offset, offset + length));
    offset += length;
  }
  return result;
}

function withFixedCrcIfSound(frame: Buffer): Buffer {
  const whole = frame.length >= FRAME_HEADER_LENGTH && frame.readUInt32LE(8) === frame.length - FRAME_HEADER_LENGTH;
  return whole ? withFixedCrc(frame) : frame;
}

withNative('the native addon itself', () => {
  it('refuses buffers that share memory, where OpenSSL would read what it has just written', () => {
    const memory = Buffer.alloc(4096);
    const { key, iv } = KNOWN_ANSWER;
    expect(() => addon!.seal(key, iv, 0, memory.subarray(0, 100), 16, memory.subarray(50), Buffer.alloc(512))).toThrow(
      /must not share memory/,
    );
    expect(() =>
      addon!.open(key, iv, memory.subarray(0, 100), 1, memory.subarray(10, 300), new Uint32Array(4)),
    ).toThrow(/must not share memory/);
  });
});

describe('without a usable native cipher', () => {
  // These simulate each way the addon can be unusable, so they run with the switch off too.
  beforeEach(() => {
    vi.stubEnv(NATIVE_CIPHER_SWITCH, '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.doUnmock('node:fs');
    vi.doUnmock('node:module');
    vi.resetModules();
    delete (process.versions as Record<string, string | undefined>).electron;
  });

  /** A fresh copy of the codec modules, loaded under whatever is mocked at the time. */
  async function freshCodec() {
    vi.resetModules();
    const choice = await import('./block-cipher-choice.js');
    const frameCipher = await import('./frame-cipher.js');
    return { ...choice, ...frameCipher };
  }

  async function expectWorkingFallback(reason: RegExp): Promise<void> {
    const { describeBlockCipher, blockCipherFor, inlineFrameCipher } = await freshCodec();
    expect(blockCipherFor().name).toBe('node:crypto');
    expect(describeBlockCipher()).toMatch(reason);
    const keys = generateV3KeyMaterial();
    const plaintext = randomPlaintext(10_000);
    const ciphertext = await encryptBuffer(plaintext, keys, 1000, inlineFrameCipher);
    expect(ciphertext.equals(await encryptBuffer(plaintext, keys, 1000, inlineFrameCipherWith('node:crypto')))).toBe(
      true,
    );
    const { plaintext: restored, error } = await decryptCapturing(ciphertext, {
      keys,
      expectedSize: plaintext.length,
      cipher: inlineFrameCipher,
    });
    expect(error).toBeUndefined();
    expect(restored.equals(plaintext)).toBe(true);
  }

  it('uses node:crypto when the addon was never built', async () => {
    vi.doMock('node:fs', async (original) => ({ ...(await original<object>()), existsSync: () => false }));
    await expectWorkingFallback(/^node:crypto \(the native cipher is not built/);
  });

  it('uses node:crypto when the addon will not load (for example, OpenSSL symbols missing)', async () => {
    vi.doMock('node:fs', async (original) => ({ ...(await original<object>()), existsSync: () => true }));
    vi.doMock('node:module', async (original) => ({
      ...(await original<object>()),
      createRequire: () => () => {
        throw new Error('msc4016_cipher.node: undefined symbol: EVP_aes_256_gcm');
      },
    }));
    await expectWorkingFallback(/^node:crypto \(the native cipher did not load: .*undefined symbol/);
  });

  it('uses node:crypto when the addon gets the known answer wrong', async () => {
    vi.doMock('node:fs', async (original) => ({ ...(await original<object>()), existsSync: () => true }));
    const broken = { openssl: 'broken', seal: () => undefined, open: () => undefined };
    vi.doMock('node:module', async (original) => ({
      ...(await original<object>()),
      createRequire: () => () => broken,
    }));
    await expectWorkingFallback(/^node:crypto \(the native cipher failed its self-test/);
  });

  it('looks for the addon only beside the codec, or exactly where SLIPSTREAM_NATIVE_CIPHER_PATH says', async () => {
    const looked: string[] = [];
    vi.doMock('node:fs', async (original) => ({
      ...(await original<object>()),
      existsSync: (path: string) => {
        looked.push(path);
        return false;
      },
    }));
    await expectWorkingFallback(/^node:crypto \(the native cipher is not built/);
    expect(looked).toEqual([fileURLToPath(new URL('./native/build/Release/msc4016_cipher.node', import.meta.url))]);

    looked.length = 0;
    vi.stubEnv(NATIVE_CIPHER_PATH, '/opt/slipstream/msc4016_cipher.node');
    try {
      await expectWorkingFallback(/^node:crypto \(the native cipher is not built/);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(looked).toEqual(['/opt/slipstream/msc4016_cipher.node']);
  });

  it('does not even look for the addon inside Electron, whose BoringSSL it cannot use', async () => {
    Object.defineProperty(process.versions, 'electron', { value: '41.0.0', configurable: true, enumerable: true });
    await expectWorkingFallback(/^node:crypto \(Electron/);
  });
});
