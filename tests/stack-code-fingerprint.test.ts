import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sourceFingerprint } from '../scripts/stack/code-fingerprint.js';

/*
 * `npm run stack -- up` restarts the media server when this fingerprint of its code differs from the one
 * recorded when it started: any source change must change it, and test files (which the server never
 * loads) must not.
 */

let root: string;
const sources = { directories: ['server', 'shared'], files: ['package-lock.json'] } as const;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipstream-fingerprint-'));
  await mkdir(join(root, 'server', 'handlers'), { recursive: true });
  await mkdir(join(root, 'shared'), { recursive: true });
  await writeFile(join(root, 'server', 'media-server.ts'), 'export const a = 1;\n');
  await writeFile(join(root, 'server', 'handlers', 'download.ts'), 'export const b = 2;\n');
  await writeFile(join(root, 'package-lock.json'), '{}\n');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the media server code fingerprint', () => {
  it('is stable while nothing changes', async () => {
    expect(await sourceFingerprint(root, sources)).toBe(await sourceFingerprint(root, sources));
  });

  it('changes when a source file changes, appears, or a dependency changes', async () => {
    const before = await sourceFingerprint(root, sources);
    await writeFile(join(root, 'server', 'handlers', 'download.ts'), 'export const b = 3;\n');
    const edited = await sourceFingerprint(root, sources);
    expect(edited).not.toBe(before);
    await writeFile(join(root, 'shared', 'types.ts'), 'export type T = 1;\n');
    const added = await sourceFingerprint(root, sources);
    expect(added).not.toBe(edited);
    await writeFile(join(root, 'package-lock.json'), '{"lockfileVersion":3}\n');
    expect(await sourceFingerprint(root, sources)).not.toBe(added);
  });

  it('ignores test files and files that are not code', async () => {
    const before = await sourceFingerprint(root, sources);
    await writeFile(join(root, 'server', 'media-server.test.ts'), 'it("x", () => {});\n');
    await writeFile(join(root, 'server', 'notes.md'), '# notes\n');
    expect(await sourceFingerprint(root, sources)).toBe(before);
  });
});
