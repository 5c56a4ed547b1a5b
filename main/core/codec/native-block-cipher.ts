import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { FRAME_HEADER_LENGTH, FRAME_OVERHEAD, GCM_TAG_LENGTH } from '../../../shared/msc4016/frame.js';
import {
  type BlockCipher,
  type OpenedBlocks,
  type SealedBlocks,
  assertSequencesFit,
  crcMismatch,
  frameCrc,
  frameHeaderAt,
  nodeBlockCipher,
  queueOf,
  tamperedBlock,
} from './block-cipher.js';
import type { ChunkQueue } from './chunk-queue.js';
import type { KeyMaterial } from './key-material.js';
import { type NativeCipherAddon, OpenFault } from './native-cipher-addon.js';
import { resultMemory } from './spare-buffers.js';

/**
 * The native batch cipher behind the BlockCipher interface: one addon call seals or opens every
 * block of a batch that lies in one input chunk, into one output buffer per batch. The CRC-32 stays
 * here, in @node-rs/crc32 (SIMD; about five times AES-GCM's speed on data already in the cache),
 * computed over each batch right after the addon has written or read it.
 */
export function nativeBlockCipher(addon: NativeCipherAddon): BlockCipher {
  return {
    name: 'native',
    sealBlocks: (keys, firstSequence, plaintext, blockSize, spare) =>
      keys.iv.length === 12
        ? sealNative(addon, keys, firstSequence, queueOf(plaintext), blockSize, spare)
        : nodeBlockCipher.sealBlocks(keys, firstSequence, plaintext, blockSize),
    openFrames: (keys, frames, count, spare) =>
      keys.iv.length === 12
        ? openNative(addon, keys, queueOf(frames), count, spare)
        : nodeBlockCipher.openFrames(keys, frames, count),
  };
}

/**
 * Blocks go to the addon in runs of about this many bytes, each run's CRCs computed or checked right
 * after it, while the bytes the cipher just touched are still in the core's cache: measured with
 * 64 KiB blocks, opening 2 MiB per call and then checking the CRCs ran 15 % slower than 256 KiB per
 * call, and one block per call 4 % slower (the call and the re-keying cost more than they save).
 */
const RUN_BYTES = 256 * 1024;

function sealNative(
  addon: NativeCipherAddon,
  keys: KeyMaterial,
  firstSequence: number,
  input: ChunkQueue,
  blockSize: number,
  spare: ArrayBuffer | undefined,
): SealedBlocks {
  const blockCount = Math.ceil(input.length / blockSize);
  assertSequencesFit(firstSequence, blockCount);
  // Their own memory (not Node's shared pool), so a worker can transfer them.
  const framesLength = input.length + blockCount * FRAME_OVERHEAD;
  const storage = resultMemory(framesLength, spare);
  const frames = Buffer.from(storage, 0, framesLength);
  const framing = Buffer.allocUnsafeSlow(blockCount * FRAME_OVERHEAD);
  const runLength = Math.max(1, Math.floor(RUN_BYTES / blockSize)) * blockSize;
  let block = 0;
  let frameOffset = 0;
  while (input.length > 0) {
    // Whole blocks from the next input chunk; a block straddling two chunks is copied and goes alone.
    const inChunk = Math.min(input.contiguousLength, runLength);
    const wholeBlocks = Math.floor(inChunk / blockSize) * blockSize;
    const length = inChunk >= input.length ? input.length : Math.min(wholeBlocks || blockSize, input.length);
    const blocks = Math.ceil(length / blockSize);
    addon.seal(
      keys.key,
      keys.iv,
      firstSequence + block,
      input.takeContiguous(length),
      blockSize,
      frames.subarray(frameOffset),
      framing.subarray(block * FRAME_OVERHEAD),
    );
    for (const end = block + blocks; block < end; block++) {
      const ciphertextLength = frames.readUInt32LE(frameOffset + 8);
      const crc = frameCrc(frames, frameOffset, ciphertextLength);
      frames.writeUInt32LE(crc, frameOffset + 12);
      framing.writeUInt32LE(crc, block * FRAME_OVERHEAD + 12);
      frameOffset += FRAME_HEADER_LENGTH + ciphertextLength;
    }
  }
  return { framing, frames, storage };
}

/**
 * Frames of up to this many bytes that straddle two input chunks are copied into one scratch buffer
 * per thread rather than fresh memory: on a network stream nearly every frame straddles two socket
 * reads, and opening is synchronous, so the copy is done with before the next one is made.
 */
const STRADDLE_SCRATCH_LIMIT = 1024 * 1024;
let straddleScratch: Buffer | undefined;

function takeStraddling(input: ChunkQueue, length: number): Buffer {
  if (length > STRADDLE_SCRATCH_LIMIT) return input.takeContiguous(length);
  straddleScratch ??= Buffer.allocUnsafeSlow(STRADDLE_SCRATCH_LIMIT);
  return input.takeInto(straddleScratch, length);
}

/**
 * Opens up to `count` frames from the queue with the refusals of block-cipher.ts's `openFrames`, in
 * the same order: header, CRC, then tag, block by block. The frames that lie whole in one input
 * chunk and whose headers passed go to the addon in one call; it stops at the first tag that fails
 * and wipes that block's output. Their CRCs are checked right after, while the frames are still in
 * the cache (measured: CRC-32 of cold memory ran at a third of its speed on warm memory, and cost
 * 30 % of opening), and a block at or after a CRC failure is wiped too: only the plaintext of
 * blocks before the first failure of any kind is ever returned.
 */
function openNative(
  addon: NativeCipherAddon,
  keys: KeyMaterial,
  input: ChunkQueue,
  count: number,
  spare: ArrayBuffer | undefined,
): OpenedBlocks {
  // Room for the plaintext of `count` whole frames. Only a batch that is not made of `count` whole
  // frames needs more (see `openRun`).
  let output = Buffer.from(resultMemory(Math.max(0, input.length - count * FRAME_OVERHEAD), spare));
  const state = new Uint32Array(4);
  let opened = 0;
  let written = 0;
  const result = (failure?: CodecError): OpenedBlocks => {
    const plaintexts = written === 0 ? [] : [output.subarray(0, written)];
    const storage = output.buffer as ArrayBuffer;
    return failure ? { plaintexts, failure, storage } : { plaintexts, storage };
  };

  /** Opens the first `frames` frames (`length` bytes) of `region`; the first failure comes back as the refusal. */
  const openRun = (region: Buffer, frames: number, length: number): CodecError | undefined => {
    if (frames === 0) return undefined;
    if (output.length - written < length - frames * FRAME_OVERHEAD) {
      const larger = Buffer.from(resultMemory(written + length + input.length));
      output.copy(larger, 0, 0, written);
      output = larger;
    }
    addon.open(keys.key, keys.iv, region, frames, output.subarray(written), state);
    const [authentic = 0, , plaintextLength = 0, fault] = state;
    const tampered = fault === OpenFault.tampered;
    if (!tampered && authentic !== frames) throw new Error(`the native cipher stopped early (fault ${fault})`);
    // The CRC of every frame the cipher looked at, the refused one included: a CRC failure comes first.
    for (let i = 0, offset = 0, plaintextOffset = 0; i < authentic + (tampered ? 1 : 0); i++) {
      const ciphertextLength = region.readUInt32LE(offset + 8);
      const crc = region.readUInt32LE(offset + 12);
      if (crc !== 0 && frameCrc(region, offset, ciphertextLength) !== crc) {
        output.fill(0, written + plaintextOffset, written + plaintextLength);
        opened += i;
        written += plaintextOffset;
        return crcMismatch(region.readUInt32LE(offset + 4));
      }
      offset += FRAME_HEADER_LENGTH + ciphertextLength;
      plaintextOffset += ciphertextLength - GCM_TAG_LENGTH;
    }
    opened += authentic;
    written += plaintextLength;
    return tampered ? tamperedBlock(region.readUInt32LE(state[1]! + 4)) : undefined;
  };

  while (opened < count && input.length > 0) {
    // The frames that lie whole in the next input chunk, up to a run's worth.
    const chunk = input.peek(0, input.contiguousLength);
    let run = 0;
    let runLength = 0;
    let refusal: CodecError | undefined;
    while (opened + run < count && runLength < input.length) {
      const available = input.length - runLength;
      const header = frameHeaderAt(input.peek(runLength, Math.min(available, FRAME_HEADER_LENGTH)), 0, available);
      if (header instanceof CodecError) {
        refusal = header;
        break;
      }
      const end = runLength + FRAME_HEADER_LENGTH + header.ciphertextLength;
      if (end > chunk.length || (run > 0 && end > RUN_BYTES)) break;
      run++;
      runLength += FRAME_HEADER_LENGTH + header.ciphertextLength;
    }
    const failure = openRun(chunk, run, runLength) ?? refusal;
    input.discard(runLength);
    if (failure) return result(failure);
    if (run > 0 || opened >= count || input.length === 0) continue;
    // A frame straddling two chunks (its header checked whole above): copied, alone.
    const frame = takeStraddling(input, FRAME_HEADER_LENGTH + input.peek(8, 4).readUInt32LE(0));
    const straddled = openRun(frame, 1, frame.length);
    if (straddled) return result(straddled);
  }
  return result();
}
