import { timingSafeEqual } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LedgerGroups } from './ledger-groups.js';
import { TransferError } from './transfer-error.js';

const MAGIC = Buffer.from('SLPLEDG2');
const HEADER_LENGTH = MAGIC.length + 16;
const DIGEST_LENGTH = 32;

/**
 * The guarantee that one key and IV never encrypt two different plaintexts, kept across crashes.
 *
 * A resumed upload re-encrypts bytes it may already have sent (the server keeps only what it
 * acknowledged). If the file had changed in between, the same block IVs would then encrypt different
 * plaintext: with GCM that leaks the XOR of the two plaintexts and lets a server forge tags. So the
 * plaintext is cut into groups, and before any ciphertext of a group leaves the process a digest of
 * it is either durably recorded here (first time) or compared with the record (every later time).
 * Under a fixed key and IV the ciphertext is a function of the plaintext, so the digest is taken over
 * the ciphertext (ciphertext-source.ts): a mismatch stops the transfer with SOURCE_CHANGED while the
 * differing ciphertext is still only in memory, never sent.
 *
 * File format: "SLPLEDG2", the groups' unit and cap (ledger-groups.ts) as u64 little-endian, then one
 * 32-byte digest per group in order. A torn final digest (crash during the append) is dropped on open: its group's ciphertext had
 * not been released, because release waits for the append's fsync.
 */
export class PlaintextLedger {
  private constructor(
    private readonly handle: FileHandle,
    readonly groups: LedgerGroups,
    private readonly digests: Buffer[],
  ) {}

  static async open(path: string, groups: LedgerGroups): Promise<PlaintextLedger> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(path, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      if (size < HEADER_LENGTH) {
        await handle.truncate(0);
        const header = Buffer.alloc(HEADER_LENGTH);
        MAGIC.copy(header);
        header.writeBigUInt64LE(BigInt(groups.unit), MAGIC.length);
        header.writeBigUInt64LE(BigInt(groups.cap), MAGIC.length + 8);
        await handle.write(header, 0, HEADER_LENGTH, 0);
        await handle.sync();
        return new PlaintextLedger(handle, groups, []);
      }
      const contents = Buffer.alloc(size);
      await handle.read(contents, 0, size, 0);
      if (!contents.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new TransferError('STATE_UNREADABLE', `${path} is not a Slipstream plaintext ledger`);
      }
      const unit = Number(contents.readBigUInt64LE(MAGIC.length));
      const cap = Number(contents.readBigUInt64LE(MAGIC.length + 8));
      if (unit !== groups.unit || cap !== groups.cap) {
        throw new TransferError('STATE_UNREADABLE', `${path} was written with other ledger groups`);
      }
      const count = Math.floor((size - HEADER_LENGTH) / DIGEST_LENGTH);
      const digests = Array.from({ length: count }, (_, group) =>
        Buffer.from(
          contents.subarray(HEADER_LENGTH + group * DIGEST_LENGTH, HEADER_LENGTH + (group + 1) * DIGEST_LENGTH),
        ),
      );
      if (size !== HEADER_LENGTH + count * DIGEST_LENGTH) await handle.truncate(HEADER_LENGTH + count * DIGEST_LENGTH);
      return new PlaintextLedger(handle, groups, digests);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Groups recorded so far. */
  get recordedGroups(): number {
    return this.digests.length;
  }

  /**
   * Admits group `group` for release: records its digest if it is the next group, or checks it against
   * the record. Groups are admitted in order the first time. `length` (the group's plaintext length)
   * is for the message.
   */
  async admit(group: number, digest: Buffer, sourceName: string, length: number): Promise<void> {
    if (digest.length !== DIGEST_LENGTH) throw new RangeError('a ledger digest is 32 bytes');
    const recorded = this.digests[group];
    if (recorded !== undefined) {
      if (!timingSafeEqual(recorded, digest)) {
        const first = this.groups.start(group);
        throw new TransferError(
          'SOURCE_CHANGED',
          `${sourceName} changed after its transfer began (bytes ${first}–${first + length - 1} differ from what was encrypted before); it cannot be sent under the same key, so the transfer stopped. Send the file again.`,
        );
      }
      return;
    }
    if (group !== this.digests.length) {
      throw new RangeError(`ledger group ${group} admitted before group ${this.digests.length}`);
    }
    // O_APPEND writes land at the end whatever the position argument says.
    await this.handle.write(digest, 0, DIGEST_LENGTH, null);
    await this.handle.datasync();
    this.digests.push(digest);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
