import { createHash } from 'node:crypto';
import { BlockLayout } from '../../../shared/msc4016/block-layout.js';
import { FRAME_OVERHEAD, MAGIC } from '../../../shared/msc4016/frame.js';
import { type SealedBlocks, streamPartsOf } from '../codec/block-cipher.js';
import type { FrameCipher } from '../codec/frame-cipher.js';
import type { KeyMaterial } from '../codec/key-material.js';
import { CounterModeStream } from '../codec/v2-codec.js';
import { LedgerGroups } from './ledger-groups.js';
import type { SendDigest } from './send-digest.js';
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
  /**
   * Does, before a request is opened, whatever reading from `start` needs first (a resumed upload's
   * digest of the bytes before it: send-digest.ts), so the request's body does not stall on it.
   */
  prepareRead?(start: number, signal: AbortSignal): Promise<void>;
}

/**
 * The largest ledger group, in plaintext bytes. A sender holds about three groups' worth at once (the
 * reused plaintext buffer, the group being sent, the one before it awaiting the collector), so this
 * sets most of its memory: at 8 MiB its ArrayBuffers peaked at 49 MiB through a 1 GiB send, at 4 MiB
 * at 25–29 MiB (docs/benchmarks.md). Smaller still would cost more fsyncs of the ledger than it saves.
 * Each transfer records its groups, so a resumed transfer keeps the size it began with.
 */
const LEDGER_GROUP_CAP = 4 * 1024 * 1024;

/** Ledger groups for a unit (a v3 block, or 16 for v2): growing to the largest multiple of it not above LEDGER_GROUP_CAP. */
export function ledgerGroupsFor(unit: number): LedgerGroups {
  return new LedgerGroups(unit, Math.max(1, Math.floor(LEDGER_GROUP_CAP / unit)) * unit);
}

interface SealedGroup {
  readonly group: number;
  /** Ciphertext offset of the group's first byte. */
  readonly start: number;
  readonly pieces: readonly Buffer[];
}

/**
 * Encrypts a ledger group (up to 4 MiB of plaintext) at a time, and releases a group's ciphertext only after the
 * ledger admitted it: its digest recorded durably the first time, compared with the record every
 * later time. The digest is taken over the ciphertext itself, which under a fixed key and IV is a
 * function of the plaintext, so it costs (almost) nothing beyond the encryption, and a mismatch is
 * found while the new ciphertext is still only in this process's memory — revealing two different
 * ciphertexts under one IV is the harm; computing one and discarding it is not.
 *
 * The last group sealed is kept, because consecutive tus chunks share the group at their boundary.
 */
abstract class GroupedCiphertext implements CiphertextSource {
  private cached: SealedGroup | undefined;
  /** One plaintext buffer, reused for every group: a group's plaintext is not needed once sealed. */
  private plaintextBuffer: Buffer | undefined;

  constructor(
    protected readonly file: SourceFile,
    protected readonly ledger: PlaintextLedger,
    /** Takes every group's ciphertext once, in order, for the whole ciphertext's SHA-256. */
    private readonly digest?: SendDigest,
  ) {}

  abstract readonly size: number;
  /** Ciphertext offset where group `group` starts, and the groups the plaintext spans. */
  protected abstract groupStart(group: number): number;
  protected abstract groupAt(ciphertextOffset: number): number;
  /** The group's ciphertext, in pieces, and the digest the ledger keeps for it. */
  protected abstract seal(group: number, plaintext: Buffer): Promise<{ pieces: Buffer[]; digest: Buffer }>;
  /** Ciphertext before the first group (the v3 magic). */
  protected prefix(): Buffer {
    return Buffer.alloc(0);
  }

  private get plaintextSize(): number {
    return this.file.identity.size;
  }

  private async sealed(group: number): Promise<SealedGroup> {
    if (this.cached?.group === group) return this.cached;
    await this.sealBefore(group);
    this.cached = await this.sealAndAdmit(group);
    return this.cached;
  }

  /**
   * Groups are first admitted to the ledger, and taken by the digest, in order: a read that starts
   * further on (a resumed upload) seals the ones before it that either still needs. Sealing again is
   * encrypting again, which the ledger checks comes out as before; none of it is sent.
   */
  private async sealBefore(group: number, signal?: AbortSignal): Promise<void> {
    const from = Math.min(this.ledger.recordedGroups, this.digest?.groupsTaken ?? Number.POSITIVE_INFINITY);
    for (let earlier = from; earlier < group; earlier++) {
      signal?.throwIfAborted();
      await this.sealAndAdmit(earlier);
    }
  }

  private get groupCount(): number {
    return this.plaintextSize === 0 ? 0 : this.groups.groupOf(this.plaintextSize - 1) + 1;
  }

  async prepareRead(start: number, signal: AbortSignal): Promise<void> {
    if (!this.digest || this.plaintextSize === 0) return;
    const group = start >= this.size ? this.groupCount : this.groupAt(Math.max(start, this.prefix().length));
    await this.sealBefore(group, signal);
  }

  /** The whole ciphertext's SHA-256 (unpadded base64), sealing whatever groups the digest has not taken. */
  async ciphertextSha256(signal: AbortSignal): Promise<string> {
    if (!this.digest) throw new Error('this ciphertext source keeps no digest');
    await this.sealBefore(this.groupCount, signal);
    return this.digest.result();
  }

  protected get groups(): LedgerGroups {
    return this.ledger.groups;
  }

  private async sealAndAdmit(group: number): Promise<SealedGroup> {
    const start = this.groups.start(group);
    this.plaintextBuffer ??= Buffer.allocUnsafe(this.groups.cap);
    const plaintext = await this.file.read(start, this.groups.length(group, this.plaintextSize), this.plaintextBuffer);
    const { pieces, digest } = await this.seal(group, plaintext);
    await this.ledger.admit(group, digest, this.file.identity.path, plaintext.length);
    this.digest?.take(group, pieces);
    return { group, start: this.groupStart(group), pieces };
  }

  async *read(start: number, end: number): AsyncGenerator<Buffer> {
    end = Math.min(end, this.size);
    if (start >= end) return;
    const prefix = this.prefix();
    if (start < prefix.length) yield Buffer.from(prefix.subarray(start, Math.min(end, prefix.length)));
    if (end <= prefix.length || this.plaintextSize === 0) return;
    for (let group = this.groupAt(Math.max(start, prefix.length)); group <= this.groupAt(end - 1); group++) {
      const sealed = await this.sealed(group);
      let offset = sealed.start;
      for (const piece of sealed.pieces) {
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset, piece.length);
        if (to > from) yield piece.subarray(from, to);
        offset += piece.length;
      }
    }
  }
}

const BATCH_BYTES = 1024 * 1024;

/** MSC4016 v3: the magic, then frames; frame i is a pure function of block i's plaintext. */
export class V3CiphertextSource extends GroupedCiphertext {
  readonly layout: BlockLayout;

  constructor(
    file: SourceFile,
    ledger: PlaintextLedger,
    private readonly keys: KeyMaterial,
    blockSize: number,
    private readonly cipher: FrameCipher,
    digest?: SendDigest,
  ) {
    super(file, ledger, digest);
    if (ledger.groups.unit !== blockSize) throw new RangeError('v3 ledger groups are counted in blocks');
    this.layout = new BlockLayout(blockSize, file.identity.size);
  }

  get size(): number {
    return this.layout.ciphertextSize;
  }

  protected override prefix(): Buffer {
    return Buffer.from(MAGIC);
  }

  protected groupStart(group: number): number {
    return this.layout.frameStartOf(this.groups.start(group) / this.layout.blockSize);
  }

  protected groupAt(offset: number): number {
    const block = Math.floor((offset - MAGIC.length) / (this.layout.blockSize + FRAME_OVERHEAD));
    return this.groups.groupOf(block * this.layout.blockSize);
  }

  protected async seal(group: number, plaintext: Buffer): Promise<{ pieces: Buffer[]; digest: Buffer }> {
    const { blockSize } = this.layout;
    const sealed = await sealV3Blocks(
      this.cipher,
      this.keys,
      this.groups.start(group) / blockSize,
      plaintext,
      blockSize,
    );
    // The frames go out as the cipher made them (header, ciphertext, tag): joining them would copy
    // every byte once more, and each copy is garbage the collector then spends time on.
    const pieces: Buffer[] = [];
    // The digest covers every frame's header and tag: GCM's tag authenticates the block's ciphertext,
    // so equal tags at every position mean equal plaintext (but for a 2^-128 chance per block).
    const digest = createHash('sha256');
    for (const batch of sealed) {
      digest.update(batch.framing);
      pieces.push(...streamPartsOf(batch));
    }
    return { pieces, digest: digest.digest() };
  }
}

/**
 * Seals `plaintext`, whole blocks of `blockSize` from block `firstBlock` (the last may be short), in
 * batches handed to the cipher all at once, so a worker pool seals them in parallel; in order.
 */
export async function sealV3Blocks(
  cipher: FrameCipher,
  keys: KeyMaterial,
  firstBlock: number,
  plaintext: Buffer,
  blockSize: number,
): Promise<SealedBlocks[]> {
  const blocksPerBatch = Math.max(1, Math.floor(BATCH_BYTES / blockSize));
  const batches: Promise<SealedBlocks>[] = [];
  for (let offset = 0; offset < plaintext.length; offset += blocksPerBatch * blockSize) {
    const bytes = plaintext.subarray(offset, offset + blocksPerBatch * blockSize);
    batches.push(cipher.sealBlocks(keys, firstBlock + offset / blockSize, [bytes], blockSize));
  }
  const settled = await Promise.allSettled(batches);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((result) => (result as PromiseFulfilledResult<SealedBlocks>).value);
}

const AES_BLOCK = 16;

/** Legacy v2: AES-256-CTR, whose keystream can be positioned at any 16-byte boundary. */
export class V2CiphertextSource extends GroupedCiphertext {
  constructor(
    file: SourceFile,
    ledger: PlaintextLedger,
    private readonly keys: KeyMaterial,
  ) {
    super(file, ledger);
    if (ledger.groups.unit % AES_BLOCK !== 0) throw new RangeError('ledger groups must hold whole AES blocks');
  }

  get size(): number {
    return this.file.identity.size;
  }

  protected groupStart(group: number): number {
    return this.groups.start(group);
  }

  protected groupAt(offset: number): number {
    return this.groups.groupOf(offset);
  }

  protected async seal(group: number, plaintext: Buffer): Promise<{ pieces: Buffer[]; digest: Buffer }> {
    const counter = new CounterModeStream(this.keys, 'encrypt', BigInt(this.groups.start(group) / AES_BLOCK));
    const pieces: Buffer[] = [];
    // CTR has no tags: the digest is over the ciphertext (the same cost as over the plaintext).
    const digest = createHash('sha256');
    for (let offset = 0; offset < plaintext.length; offset += BATCH_BYTES) {
      const piece = counter.update(plaintext.subarray(offset, offset + BATCH_BYTES));
      digest.update(piece);
      pieces.push(piece);
    }
    return { pieces, digest: digest.digest() };
  }
}
