import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { finalisePartialFile, partialPathOf } from './destination.js';

const scratch = useScratchDirectory('destination');

describe('finalisePartialFile', () => {
  it('gives the final name, numbering around existing files, never replacing one', async () => {
    await writeFile(join(scratch.path, 'film.mp4'), 'theirs');
    await writeFile(join(scratch.path, 'film (1).mp4'), 'also theirs');
    const partial = partialPathOf(scratch.path, 'abcdefgh1234');
    await writeFile(partial, 'mine');
    const saved = await finalisePartialFile(partial, scratch.path, 'film.mp4');
    expect(saved).toBe(join(scratch.path, 'film (2).mp4'));
    expect(await readFile(saved, 'utf8')).toBe('mine');
    expect(await readFile(join(scratch.path, 'film.mp4'), 'utf8')).toBe('theirs');
    expect((await readdir(scratch.path)).sort()).toEqual(['film (1).mp4', 'film (2).mp4', 'film.mp4']);
  });

  it('two receives finishing at once under one name both keep their file', async () => {
    const partials = ['aaaaaaaa0001', 'bbbbbbbb0002'].map((id) => partialPathOf(scratch.path, id));
    await Promise.all(partials.map((path, n) => writeFile(path, `content ${n}`)));
    const saved = await Promise.all(partials.map((path) => finalisePartialFile(path, scratch.path, 'same.txt')));
    expect(new Set(saved).size).toBe(2);
    expect((await Promise.all(saved.map((path) => readFile(path, 'utf8')))).sort()).toEqual(['content 0', 'content 1']);
  });
});
