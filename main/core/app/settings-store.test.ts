import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { SettingsStore } from './settings-store.js';

describe('the settings store', () => {
  let directory: string;
  let downloads: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slipstream-settings-'));
    downloads = join(directory, 'Downloads');
    await mkdir(downloads);
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('starts from the defaults and keeps a change across a restart', async () => {
    const path = join(directory, 'settings.json');
    const store = await SettingsStore.open(path, downloads);
    expect(store.get().downloadFolder).toBe(downloads);
    const heard: number[] = [];
    store.subscribe((settings) => heard.push(settings.maxConcurrentTransfers));
    await store.update({ maxConcurrentTransfers: 6, defaultFormat: 'v3' });
    expect(heard).toEqual([6]);
    const reopened = await SettingsStore.open(path, downloads);
    expect(reopened.get()).toMatchObject({ maxConcurrentTransfers: 6, defaultFormat: 'v3' });
  });

  it('sets a damaged file aside and starts from the defaults instead of failing', async () => {
    const path = join(directory, 'settings.json');
    await writeFile(path, '{"maxConcurrentTransfers": "lots"');
    const lines: string[] = [];
    const store = await SettingsStore.open(path, downloads, (line) => lines.push(line));
    expect(store.get().maxConcurrentTransfers).toBe(3);
    expect(await readFile(`${path}.damaged`, 'utf8')).toContain('lots');
    expect(lines.join('\n')).toContain('using the defaults');
  });

  it('fills settings added since the file was written with their defaults', async () => {
    const path = join(directory, 'settings.json');
    await writeFile(path, JSON.stringify({ downloadFolder: downloads, maxConcurrentTransfers: 2 }));
    const store = await SettingsStore.open(path, '/elsewhere');
    expect(store.get()).toMatchObject({ downloadFolder: downloads, maxConcurrentTransfers: 2, defaultFormat: 'auto' });
  });

  it('reads a file from before keepCancelledPartials and theme with their defaults, not as damaged', async () => {
    const path = join(directory, 'settings.json');
    const before = {
      downloadFolder: downloads,
      autoDownloadMaxBytes: 5,
      maxConcurrentTransfers: 4,
      defaultFormat: 'v3',
      compatibleFormatMaxBytes: 1024,
      roomFormats: { '!room:example.org': 'v2' },
    };
    await writeFile(path, JSON.stringify(before));
    const lines: string[] = [];
    const store = await SettingsStore.open(path, '/elsewhere', (line) => lines.push(line));
    expect(store.get()).toEqual({ ...before, keepCancelledPartials: false, directUploads: false, theme: 'system' });
    expect(lines).toEqual([]);
    await store.update({ keepCancelledPartials: true, theme: 'dark' });
    expect((await SettingsStore.open(path, '/elsewhere')).get()).toMatchObject({
      keepCancelledPartials: true,
      theme: 'dark',
    });
  });

  it('refuses a download folder that does not exist or is a file, in words, and keeps the old one', async () => {
    const store = await SettingsStore.open(join(directory, 'settings.json'), downloads);
    const missing = join(directory, 'missing');
    await expect(store.update({ downloadFolder: missing })).rejects.toEqual(
      new IpcError('FOLDER_UNUSABLE', `${missing} does not exist`),
    );
    const file = join(directory, 'a-file');
    await writeFile(file, 'x');
    await expect(store.update({ downloadFolder: file })).rejects.toMatchObject({ code: 'FOLDER_UNUSABLE' });
    expect(store.get().downloadFolder).toBe(downloads);
  });

  it('keeps both of two changes made at once (two windows)', async () => {
    const path = join(directory, 'settings.json');
    const store = await SettingsStore.open(path, downloads);
    await Promise.all([store.update({ maxConcurrentTransfers: 5 }), store.update({ autoDownloadMaxBytes: 7 })]);
    expect(store.get()).toMatchObject({ maxConcurrentTransfers: 5, autoDownloadMaxBytes: 7 });
    expect((await SettingsStore.open(path, downloads)).get()).toMatchObject({
      maxConcurrentTransfers: 5,
      autoDownloadMaxBytes: 7,
    });
  });
});
