import { createHash, type Hash } from 'node:crypto';
import { encodeUnpaddedBase64 } from '../codec/base64.js';

/**
 * The SHA-256 of a send's whole ciphertext, for its outcome event (docs/PROTOCOL.md §7), taken as the
 * ciphertext source seals its ledger groups, each group once and in order. Nothing is kept but the
 * hash state: a group sealed a second time (a retried PATCH, a PUT sent again) is not taken again,
 * and a resumed upload, which does not send the groups before the server's offset, has the source
 * seal them once more just for this (ciphertext-source.ts `prepareRead`). SHA-256's state cannot be
 * saved to disk, so only a process restart costs that pass; a pause or a retry in the same process
 * keeps the digest (EngineContext.sendDigests).
 */
export class SendDigest {
  private constructor(
    private readonly hash: Hash,
    private next: number,
  ) {}

  /** A digest that has taken `prefix`, the bytes before the first group (v3's magic). */
  static begin(prefix: Uint8Array): SendDigest {
    return new SendDigest(createHash('sha256').update(prefix), 0);
  }

  /** Groups taken so far, which is also the next group it needs. */
  get groupsTaken(): number {
    return this.next;
  }

  /** Takes group `group`'s ciphertext if it is the next one; any other group is already in, or not yet due. */
  take(group: number, pieces: readonly Uint8Array[]): void {
    if (group !== this.next) return;
    for (const piece of pieces) this.hash.update(piece);
    this.next += 1;
  }

  /** The SHA-256 so far (the whole ciphertext's, once every group is taken), unpadded base64. */
  result(): string {
    return encodeUnpaddedBase64(this.hash.copy().digest());
  }
}
