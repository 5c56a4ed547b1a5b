import { MAGIC, FRAME_OVERHEAD } from '../../../shared/msc4016/frame.js';
import { BlockLayout } from '../../../shared/msc4016/block-layout.js';
import type { FrameCipher } from '../codec/frame-cipher.js';
import type { KeyMaterial } from '../codec/key-material.js';
import { CounterModeStream } from '../codec/v2-codec.js';
import type { PlaintextLedger } from './plaintext-ledger.js';
import type { SourceFile } from './source-file.js';

/**
 * The ciphertext of a file being sent, produced on demand for any byte range. A tus upload asks for
 * "bytes N to M" after every resume; because the key, IV and block layout are fixed, encrypting the
 * same plaintext again yields exactly the bytes the server lacks, so nothing is ever stored
 * encrypted on the sender's disk. The ledger guarantees the plaintext really is the same.
 */
export interface CiphertextSource {
  /** Total ciphertext length. */
  readonly size: number;
  /** Ciphertext bytes `start` up to (excluding) `end`, in order, in pieces of at most about 1 MiB. */
  read(start: number, end: number): AsyncGenerator<Buffer>;
}

/** Plaintext bytes per ledger group: the largest multiple of `unit` not above 8 MiB (at least one unit). */
export function ledgerGroupSize(unit: number): number {
  return Math.max(1, Math.floor((8 * 1024 * 1024) / unit)) * unit;
}

/**
 * Reads the source a ledger group at a time and admits each group before its bytes may be encrypted.
 * Holding a whole group (8 MiB) is what lets the check finish before any of its ciphertext exists.
 */
export class AdmittedPlaintext {
  constructor(
    private readonly file: SourceFile,
    private readonly ledger: PlaintextLedger,
  ) {}

  get groupSize(): number {
    return this.ledger.groupSize;
  }

  get size(): number {
    return this.file.identity.size;
  }

  async group(group: number): Promise<Buffer> {
    // A group is first admitted in order; a read that starts further on admits the ones before it.
    for (let earlier = this.ledger.recordedGroups; earlier < group; earlier++) await this.readAndAdmit(earlier);
    return this.readAndAdmit(group);
  }

  private async readAndAdmit(group: number): Promise<Buffer> {
    const start = group * this.groupSize;
    const plaintext = await this.file.read(start, Math.min(this.groupSize, this.size - start));
    await this.ledger.admit(group, plaintext, this.file.identity.path);
    return plaintext;
  }
}

const BATCH_BYTES = 1024 * 1024;

/** MSC4016 v3: the magic, then frames; frame i is a pure function of block i's plaintext. */
export class V3CiphertextSource implements CiphertextSource {
  readonly layout: BlockLayout;

  constructor(
    private readonly plaintext: AdmittedPlaintext,
    private readonly keys: KeyMaterial,
    blockSize: number,
    private readonly cipher: FrameCipher,
  ) {
    if (plaintext.groupSize % blockSize !== 0) throw new RangeError('ledger groups must hold whole blocks');
    this.layout = new BlockLayout(blockSize, plaintext.size);
  }

  get size(): number {
    return this.layout.ciphertextSize;
  }

  /** The block whose frame holds ciphertext byte `offset` (past the magic). */
  private blockAt(offset: number): number {
    return Math.floor((offset - MAGIC.length) / (this.layout.blockSize + FRAME_OVERHEAD));
  }

  async *read(start: number, end: number): AsyncGenerator<Buffer> {
    end = Math.min(end, this.size);
    if (start >= end) return;
    if (start < MAGIC.length) yield Buffer.from(MAGIC.subarray(start, Math.min(end, MAGIC.length)));
    if (end <= MAGIC.length) return;
    const { blockSize } = this.layout;
    const firstBlock = this.blockAt(Math.max(start, MAGIC.length));
    const lastBlock = this.blockAt(end - 1);
    const blocksPerGroup = this.plaintext.groupSize / blockSize;
    const blocksPerBatch = Math.max(1, Math.floor(BATCH_BYTES / blockSize));
    for (
      let group = Math.floor(firstBlock / blocksPerGroup);
      group <= Math.floor(lastBlock / blocksPerGroup);
      group++
    ) {
      const plaintext = await this.plaintext.group(group);
      const groupFirstBlock = group * blocksPerGroup;
      const from = Math.max(firstBlock, groupFirstBlock);
      const to = Math.min(lastBlock, groupFirstBlock + blocksPerGroup - 1);
      // Every batch of the group is handed to the cipher at once, so a worker pool seals them in parallel.
      const batches: { sequence: number; frames: Promise<Buffer> }[] = [];
      for (let sequence = from; sequence <= to; sequence += blocksPerBatch) {
        const count = Math.min(blocksPerBatch, to - sequence + 1);
        const offset = (sequence - groupFirstBlock) * blockSize;
        const bytes = plaintext.subarray(offset, Math.min(offset + count * blockSize, plaintext.length));
        batches.push({ sequence, frames: this.cipher.seal(this.keys, sequence, bytes, blockSize) });
      }
      for (const [index, batch] of batches.entries()) {
        let frames: Buffer;
        try {
          frames = await batch.frames;
        } catch (error) {
          // The other batches' failures are the same failure; keep them from surfacing as unhandled.
          for (const later of batches.slice(index + 1)) later.frames.catch(() => undefined);
          throw error;
        }
        const frameStart = this.layout.frameStartOf(batch.sequence);
        const sliceFrom = Math.max(start - frameStart, 0);
        const sliceTo = Math.min(end - frameStart, frames.length);
        if (sliceTo > sliceFrom) yield frames.subarray(sliceFrom, sliceTo);
      }
    }
  }
}

const AES_BLOCK = 16;

/** Legacy v2: AES-256-CTR, whose keystream can be positioned at any 16-byte boundary. */
export class V2CiphertextSource implements CiphertextSource {
  constructor(
    private readonly plaintext: AdmittedPlaintext,
    private readonly keys: KeyMaterial,
  ) {
    if (plaintext.groupSize % AES_BLOCK !== 0) throw new RangeError('ledger groups must hold whole AES blocks');
  }

  get size(): number {
    return this.plaintext.size;
  }

  async *read(start: number, end: number): AsyncGenerator<Buffer> {
    end = Math.min(end, this.size);
    if (start >= end) return;
    const { groupSize } = this.plaintext;
    for (let group = Math.floor(start / groupSize); group * groupSize < end; group++) {
      const plaintext = await this.plaintext.group(group);
      const groupStart = group * groupSize;
      let position = Math.max(start, groupStart);
      const alignedStart = position - (position % AES_BLOCK);
      const counter = new CounterModeStream(this.keys, 'encrypt', BigInt(alignedStart / AES_BLOCK));
      let cipherPosition = alignedStart;
      const groupEnd = Math.min(end, groupStart + plaintext.length);
      while (position < groupEnd) {
        const pieceEnd = Math.min(groupEnd, cipherPosition + BATCH_BYTES);
        const ciphertext = counter.update(plaintext.subarray(cipherPosition - groupStart, pieceEnd - groupStart));
        yield ciphertext.subarray(position - cipherPosition);
        cipherPosition = pieceEnd;
        position = pieceEnd;
      }
    }
  }
}
