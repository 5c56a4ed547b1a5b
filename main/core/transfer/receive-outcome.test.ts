import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { partialPathOf } from './destination.js';
import { keepIncomplete, sameSha256, verdictOf, withOutcome, type CompleteReceive } from './receive-outcome.js';
import { isTransferError } from './transfer-error.js';

const scratch = useScratchDirectory('outcome');
const hashOf = (text: string): string => createHash('sha256').update(text).digest('base64').replace(/=+$/, '');

function receive(fields: Partial<CompleteReceive> = {}): CompleteReceive {
  return {
    id: 'receive-0001',
    direction: 'receive',
    createdAt: 1,
    updatedAt: 1,
    status: 'downloading',
    homeserverUrl: 'https://matrix.example.org',
    fileName: 'film.mp4',
    mimetype: 'video/mp4',
    format: 'v3',
    size: 100,
    sealedFile: 'sealed',
    contentUri: 'mxc://example.org/abc',
    destinationDir: scratch.path,
    partialPath: partialPathOf(scratch.path, 'receive-0001'),
    checkpoint: { plaintextOffset: 100, ciphertextOffset: 136, nextSequence: 1 },
    ciphertextSha256: hashOf('the ciphertext'),
    ...fields,
  };
}

describe('what a receive with every byte becomes', () => {
  it('is saved unverified, or verified (v2), when no outcome is awaited', () => {
    expect(verdictOf(receive())).toEqual({ kind: 'save', verified: false });
    expect(verdictOf(receive({ format: 'v2' }))).toEqual({ kind: 'save', verified: true });
  });

  it('waits for an awaited outcome, and is saved verified only when size and SHA-256 match', () => {
    expect(verdictOf(receive({ awaitsOutcome: true }))).toEqual({ kind: 'wait' });
    const outcome = { kind: 'completed' as const, size: 100, ciphertextSha256: hashOf('the ciphertext') };
    expect(verdictOf(receive({ awaitsOutcome: true, outcome }))).toEqual({ kind: 'save', verified: true });
    expect(verdictOf(receive({ outcome: { ...outcome, size: 99 } }))).toMatchObject({
      kind: 'mismatch',
      message: expect.stringMatching(/"film.mp4" is not the file its sender uploaded \(its sender uploaded 99 bytes/),
    });
    expect(verdictOf(receive({ outcome: { ...outcome, ciphertextSha256: hashOf('another') } }))).toMatchObject({
      kind: 'mismatch',
      message: expect.stringMatching(/SHA-256 differs/),
    });
  });

  it('compares digests by their bytes, padded or not, and never equal to something that is no digest', () => {
    const digest = hashOf('x');
    expect(sameSha256(digest, `${digest}=`)).toBe(true);
    expect(sameSha256(digest, hashOf('y'))).toBe(false);
    expect(sameSha256(digest, 'not base64!')).toBe(false);
    expect(sameSha256('AAAA', 'AAAA')).toBe(false);
  });

  it('keeps the first outcome: the same again is fine, a different one is refused', () => {
    const outcome = { kind: 'completed' as const, size: 100, ciphertextSha256: hashOf('the ciphertext') };
    const remembered = withOutcome(receive(), outcome);
    expect(withOutcome(remembered, { ...outcome })).toMatchObject({ outcome });
    let failure: unknown;
    try {
      withOutcome(remembered, { ...outcome, size: 101 });
    } catch (error) {
      failure = error;
    }
    expect(isTransferError(failure, 'WRONG_STATE')).toBe(true);
  });

  it('keeps what authenticated of a cancelled receive as "name (incomplete).ext", never over another file', async () => {
    const record = receive({ checkpoint: { plaintextOffset: 5, ciphertextOffset: 41, nextSequence: 1 } });
    await writeFile(join(scratch.path, 'film (incomplete).mp4'), 'mine');
    await writeFile(record.partialPath, 'abcdefgh');
    const kept = await keepIncomplete(record);
    expect(kept).toBe(join(scratch.path, 'film (incomplete) (1).mp4'));
    expect(await readFile(kept!, 'utf8')).toBe('abcde');
    expect(await readFile(join(scratch.path, 'film (incomplete).mp4'), 'utf8')).toBe('mine');
    expect((await readdir(scratch.path)).sort()).toEqual(['film (incomplete) (1).mp4', 'film (incomplete).mp4']);
  });

  it('keeps nothing of a v2 file before its last byte (nothing of it is authenticated), nor an empty file', async () => {
    const { ciphertextSha256: _hash, ...downloading } = receive({ format: 'v2' });
    await writeFile(downloading.partialPath, 'abcdefgh');
    expect(await keepIncomplete(downloading)).toBeUndefined();
    expect(
      await keepIncomplete(receive({ checkpoint: { plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 } })),
    ).toBeUndefined();
  });
});
