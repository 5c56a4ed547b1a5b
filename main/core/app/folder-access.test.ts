import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderAccess, placesFor } from './folder-access.js';

describe("the app's own file chooser and what it may send", () => {
  let root: string;
  let home: string;
  let outside: string;
  let data: string;
  let access: FolderAccess;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipstream-folders-'));
    home = join(root, 'home');
    outside = join(root, 'outside');
    data = join(home, '.local', 'state', 'slipstream', 'app');
    await mkdir(join(home, 'Videos'), { recursive: true });
    await mkdir(data, { recursive: true });
    await mkdir(outside);
    await writeFile(join(home, 'Videos', 'film.mp4'), Buffer.alloc(1234));
    await writeFile(join(home, 'notes.txt'), 'hi');
    await writeFile(join(home, '.hidden'), 'x');
    await writeFile(join(outside, 'secret.txt'), 'x');
    await writeFile(join(data, 'secret-store.key'), Buffer.alloc(32));
    await symlink(outside, join(home, 'escape'));
    access = await FolderAccess.create(placesFor(home, []), [data]);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('starts from the places, then lists folders first, with sizes, and without hidden files', async () => {
    const places = await access.list(undefined);
    expect(places.entries).toEqual([{ name: 'Home', path: home, kind: 'folder' }]);
    const listing = await access.list(home);
    expect(listing.entries.map((entry) => [entry.name, entry.kind])).toEqual([
      ['Videos', 'folder'],
      ['notes.txt', 'file'],
    ]);
    const videos = await access.list(join(home, 'Videos'));
    expect(videos.entries[0]).toMatchObject({ name: 'film.mp4', kind: 'file', size: 1234 });
    expect(videos.parent).toBe(home);
    expect(listing.parent).toBeNull();
  });

  it('refuses what is outside home, even through a symbolic link inside it', async () => {
    await expect(access.check(join(outside, 'secret.txt'))).rejects.toMatchObject({ code: 'PATH_REFUSED' });
    await expect(access.check(join(home, 'escape', 'secret.txt'))).rejects.toMatchObject({ code: 'PATH_REFUSED' });
    await expect(access.list(join(home, '..'))).rejects.toMatchObject({ code: 'PATH_REFUSED' });
  });

  it("never lists or sends the app's own keys and state, though they are in home", async () => {
    await expect(access.check(join(data, 'secret-store.key'))).rejects.toMatchObject({
      code: 'PATH_REFUSED',
      message: expect.stringContaining("Slipstream's own keys"),
    });
    await expect(access.list(data)).rejects.toMatchObject({ code: 'PATH_REFUSED' });
  });

  it('lets a folder added on the command line in, and says how when one is not', async () => {
    await expect(access.check(join(outside, 'secret.txt'))).rejects.toMatchObject({
      message: expect.stringContaining(`--folder ${outside}`),
    });
    const wider = await FolderAccess.create(placesFor(home, [outside]), [data]);
    expect(await wider.check(join(outside, 'secret.txt'))).toBe(join(outside, 'secret.txt'));
    expect((await wider.list(undefined)).places.map((place) => place.label)).toEqual(['Home', 'outside']);
  });

  it('says plainly when a path does not exist', async () => {
    await expect(access.check(join(home, 'gone.mp4'))).rejects.toMatchObject({
      code: 'PATH_UNAVAILABLE',
      message: `${join(home, 'gone.mp4')} does not exist`,
    });
  });
});
