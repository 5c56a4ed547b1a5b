import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finalisePartialFile, partialPathOf } from './destination.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'slipstream-destination-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('finalisePartialFile', () => {
  it('gives the final name, numbering around existing files, never replacing one', async () => {
    await writeFile(join(directory, 'film.mp4'), 'theirs');
    await writeFile(join(directory, 'film (1).mp4'), 'also theirs');
    const partial = partialPathOf(directory, 'abcdefgh1234');
    await writeFile(partial, 'mine');
    const saved = await finalisePartialFile(partial, directory, 'film.mp4');
    expect(saved).toBe(join(directory, 'film (2).mp4'));
    expect(await readFile(saved, 'utf8')).toBe('mine');
    expect(await readFile(join(directory, 'film.mp4'), 'utf8')).toBe('theirs');
    expect((await readdir(directory)).sort()).toEqual(['film (1).mp4', 'film (2).mp4', 'film.mp4']);
  });

  it('two receives finishing at once under one name both keep their file', async () => {
    const partials = ['aaaaaaaa0001', 'bbbbbbbb0002'].map((id) => partialPathOf(directory, id));
    await Promise.all(partials.map((path, n) => writeFile(path, `content ${n}`)));
    const saved = await Promise.all(partials.map((path) => finalisePartialFile(path, directory, 'same.txt')));
    expect(new Set(saved).size).toBe(2);
    expect((await Promise.all(saved.map((path) => readFile(path, 'utf8')))).sort()).toEqual(['content 0', 'content 1']);
  });
});
