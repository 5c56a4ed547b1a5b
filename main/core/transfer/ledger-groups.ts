/**
 * How the plaintext is cut into ledger groups (plaintext-ledger.ts): the first group is one `unit`
 * (a v3 block, or 16 bytes of v2), each next one twice the size, up to `cap` (4 MiB), then groups of
 * `cap`. A group's ciphertext is released only after its digest is durably recorded, so small first
 * groups let the first block go out at once — a receiver's first bytes do not wait for 4 MiB to be
 * encrypted and fsynced — while a large file still costs one small fsync per 4 MiB.
 */
export class LedgerGroups {
  /** Groups that grow before reaching the cap. */
  private readonly growing: number;
  /** Plaintext bytes in the growing groups together. */
  private readonly growingBytes: number;

  constructor(
    readonly unit: number,
    readonly cap: number,
  ) {
    if (!Number.isSafeInteger(unit) || unit < 1 || cap % unit !== 0 || cap < unit) {
      throw new RangeError('ledger groups need a cap that is a positive multiple of the unit');
    }
    let growing = 0;
    while (unit * 2 ** growing < cap) growing++;
    this.growing = growing;
    this.growingBytes = unit * (2 ** growing - 1);
  }

  /** Plaintext offset where group `group` starts. */
  start(group: number): number {
    return group < this.growing ? this.unit * (2 ** group - 1) : this.growingBytes + (group - this.growing) * this.cap;
  }

  /** Plaintext bytes in group `group` of a `size`-byte file (0 past its end). */
  length(group: number, size: number): number {
    const nominal = group < this.growing ? this.unit * 2 ** group : this.cap;
    return Math.max(0, Math.min(nominal, size - this.start(group)));
  }

  /** The group holding plaintext byte `offset`. */
  groupOf(offset: number): number {
    if (offset < this.growingBytes) return Math.floor(Math.log2(Math.floor(offset / this.unit) + 1));
    return this.growing + Math.floor((offset - this.growingBytes) / this.cap);
  }
}
