import { createHash, randomBytes } from 'node:crypto';
import { utimes, writeFile, stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { collect, encryptBuffer } from '../../../tests/support/codec.js';
import { generateV2KeyMaterial, generateV3KeyMaterial } from '../codec/key-material.js';
import { encryptV2 } from '../codec/v2-codec.js';
import { ledgerGroupsFor, V2CiphertextSource, V3CiphertextSource } from './ciphertext-source.js';
import { LedgerGroups } from './ledger-groups.js';
import { inlineFrameCipher } from '../codec/frame-cipher.js';
import { PlaintextLedger } from './plaintext-ledger.js';
import { identifySource, SourceFile } from './source-file.js';
import { isTransferError } from './transfer-error.js';
import { SendDigest } from './send-digest.js';
import { MAGIC } from '../../../shared/msc4016/frame.js';

const scratch = useScratchDirectory('source');

async function sourceOf(contents: Buffer, groups: LedgerGroups) {
  const path = join(scratch.path, `file-${randomBytes(4).toString('hex')}`);
  await writeFile(path, contents);
  const file = await SourceFile.open(await identifySource(path));
  const ledger = await PlaintextLedger.open(`${path}.ledger`, groups);
  return { path, file, ledger };
}

describe('V3CiphertextSource', () => {
  it('produces byte for byte what the streaming encryptor produces, for any range', async () => {
    const keys = generateV3KeyMaterial();
    const blockSize = 4096;
    const contents = randomBytes(5 * 16384 + 1234);
    const expected = await encryptBuffer(contents, keys, blockSize);
    const { file, ledger } = await sourceOf(contents, new LedgerGroups(blockSize, 4 * blockSize));
    const source = new V3CiphertextSource(file, ledger, keys, blockSize, inlineFrameCipher);
    expect(source.size).toBe(expected.length);
    expect((await collect(source.read(0, source.size))).equals(expected)).toBe(true);
    const ranges = [
      [0, 1],
      [0, 4],
      [2, 30],
      [4, 4 + 4096 + 32],
      [4100, 70000],
      [source.size - 17, source.size],
      [12345, source.size + 1000],
    ] as const;
    for (const [start, end] of ranges) {
      const bytes = await collect(source.read(start, end));
      expect(bytes.equals(expected.subarray(start, Math.min(end, expected.length))), `${start}-${end}`).toBe(true);
    }
    await file.close();
    await ledger.close();
  });

  it('an empty file is the magic alone', async () => {
    const keys = generateV3KeyMaterial();
    const { file, ledger } = await sourceOf(Buffer.alloc(0), ledgerGroupsFor(65536));
    const source = new V3CiphertextSource(file, ledger, keys, 65536, inlineFrameCipher);
    expect((await collect(source.read(0, 100))).toString('hex')).toBe('4d584303');
    await file.close();
    await ledger.close();
  });
});

describe('the SHA-256 of a v3 send', () => {
  const blockSize = 4096;
  const groups = new LedgerGroups(blockSize, 4 * blockSize);
  const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '');
  const never = new AbortController().signal;

  it('is the whole ciphertext’s, however the upload read it: in pieces, again, or not at all', async () => {
    const keys = generateV3KeyMaterial();
    const contents = randomBytes(9 * 16384 + 77);
    const expected = await encryptBuffer(contents, keys, blockSize);
    const { file, ledger } = await sourceOf(contents, groups);
    const source = new V3CiphertextSource(file, ledger, keys, blockSize, inlineFrameCipher, SendDigest.begin(MAGIC));
    // A PATCH broken off, the same bytes sent again (a retry), then the rest.
    await collect(source.read(0, 30_000));
    await collect(source.read(10_000, 50_000));
    await collect(source.read(0, 20));
    await collect(source.read(50_000, 90_000));
    // The server had the rest already: the digest takes the groups no read asked for.
    expect(await source.ciphertextSha256(never)).toBe(sha256(expected));
    await file.close();
    await ledger.close();
  });

  it('is re-derived for a resumed upload that does not send the first part again (a restart)', async () => {
    const keys = generateV3KeyMaterial();
    const contents = randomBytes(7 * 16384 + 5);
    const expected = await encryptBuffer(contents, keys, blockSize);
    const { path, file, ledger } = await sourceOf(contents, groups);
    const before = new V3CiphertextSource(file, ledger, keys, blockSize, inlineFrameCipher, SendDigest.begin(MAGIC));
    await collect(before.read(0, 60_000));
    await file.close();
    await ledger.close();

    // A new process: its digest starts empty, and the server says it has 60 000 bytes.
    const reopened = await SourceFile.open(await identifySource(path));
    const reopenedLedger = await PlaintextLedger.open(`${path}.ledger`, groups);
    const resumed = new V3CiphertextSource(
      reopened,
      reopenedLedger,
      keys,
      blockSize,
      inlineFrameCipher,
      SendDigest.begin(MAGIC),
    );
    await resumed.prepareRead(60_000, never);
    expect((await collect(resumed.read(60_000, resumed.size))).equals(expected.subarray(60_000))).toBe(true);
    expect(await resumed.ciphertextSha256(never)).toBe(sha256(expected));
    await reopened.close();
    await reopenedLedger.close();
  });

  it('is stopped by the signal while it re-derives', async () => {
    const keys = generateV3KeyMaterial();
    const { file, ledger } = await sourceOf(randomBytes(64 * 1024), groups);
    const source = new V3CiphertextSource(file, ledger, keys, blockSize, inlineFrameCipher, SendDigest.begin(MAGIC));
    const stopped = new AbortController();
    stopped.abort(new Error('paused'));
    await expect(source.prepareRead(60_000, stopped.signal)).rejects.toThrow('paused');
    await file.close();
    await ledger.close();
  });
});

describe('V2CiphertextSource', () => {
  it('matches the streaming v2 encryptor at any offset, including unaligned ones', async () => {
    const keys = generateV2KeyMaterial();
    const contents = randomBytes(100_003);
    const encryption = encryptV2([contents], keys);
    const expected = await collect(encryption.ciphertext);
    const { file, ledger } = await sourceOf(contents, new LedgerGroups(16, 32 * 1024));
    const source = new V2CiphertextSource(file, ledger, keys);
    for (const [start, end] of [
      [0, 100_003],
      [1, 17],
      [15, 16],
      [32767, 32770],
      [50_001, 100_003],
    ] as const) {
      expect((await collect(source.read(start, end))).equals(expected.subarray(start, end)), `${start}-${end}`).toBe(
        true,
      );
    }
    await file.close();
    await ledger.close();
  });
});

describe('the plaintext ledger', () => {
  it('refuses to encrypt a group again when its content changed, even with the timestamps restored', async () => {
    const keys = generateV3KeyMaterial();
    const contents = randomBytes(64 * 1024);
    const { path, file, ledger } = await sourceOf(contents, new LedgerGroups(4096, 16 * 1024));
    const source = new V3CiphertextSource(file, ledger, keys, 4096, inlineFrameCipher);
    await collect(source.read(0, 40_000));
    await file.close();
    await ledger.close();

    // Change one byte in the first group, then put the modification time back.
    const before = await stat(path);
    const handle = await open(path, 'r+');
    await handle.write(Buffer.from([contents[100]! ^ 1]), 0, 1, 100);
    await handle.close();
    await utimes(path, before.atime, before.mtime);

    // A new process: the identity check sees only the ctime, so compare with the ledger directly.
    const reopened = await SourceFile.open({ ...(await identifySource(path)) });
    const reopenedLedger = await PlaintextLedger.open(`${path}.ledger`, new LedgerGroups(4096, 16 * 1024));
    expect(reopenedLedger.recordedGroups).toBe(4);
    const resumed = new V3CiphertextSource(reopened, reopenedLedger, keys, 4096, inlineFrameCipher);
    const failure = await collect(resumed.read(0, 100)).catch((error: unknown) => error);
    expect(isTransferError(failure, 'SOURCE_CHANGED')).toBe(true);
    expect((failure as Error).message).toMatch(/bytes 0–4095 differ/);
    // Groups never encrypted before are recorded, not compared.
    expect((await collect(resumed.read(source.size - 10, source.size))).length).toBe(10);
    await reopened.close();
    await reopenedLedger.close();
  });

  it('stops a read when the file changes under it', async () => {
    const keys = generateV3KeyMaterial();
    const { path, file, ledger } = await sourceOf(randomBytes(64 * 1024), new LedgerGroups(4096, 16 * 1024));
    const source = new V3CiphertextSource(file, ledger, keys, 4096, inlineFrameCipher);
    const reader = source.read(0, source.size);
    await reader.next();
    await writeFile(path, randomBytes(64 * 1024));
    const failure = await collect(reader).catch((error: unknown) => error);
    expect(isTransferError(failure, 'SOURCE_CHANGED')).toBe(true);
    await file.close();
    await ledger.close();
  });

  it('drops a torn final digest left by a crash', async () => {
    const path = join(scratch.path, 'torn.ledger');
    const ledger = await PlaintextLedger.open(path, new LedgerGroups(1024, 1024));
    await ledger.admit(0, Buffer.alloc(32, 1), 'x', 1024);
    await ledger.admit(1, Buffer.alloc(32, 2), 'x', 1024);
    await ledger.close();
    const { size } = await stat(path);
    const handle = await open(path, 'r+');
    await handle.truncate(size - 5);
    await handle.close();
    const reopened = await PlaintextLedger.open(path, new LedgerGroups(1024, 1024));
    expect(reopened.recordedGroups).toBe(1);
    await reopened.admit(0, Buffer.alloc(32, 1), 'x', 1024);
    await reopened.admit(1, Buffer.alloc(32, 3), 'x', 1024);
    await expect(reopened.admit(0, Buffer.alloc(32, 9), 'x', 1024)).rejects.toThrow(/bytes 0–1023 differ/);
    expect(reopened.recordedGroups).toBe(2);
    await reopened.close();
  });
});
