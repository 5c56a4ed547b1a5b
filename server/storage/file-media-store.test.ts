import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileAppender, FileMediaStore } from './file-media-store.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'slipstream-store-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const key = { serverName: 'example.test', mediaId: 'abcDEF123_-' };
const newMedia = { ...key, owner: '@a:example.test', createdAt: 1, expiresAt: 100 };

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('FileMediaStore', () => {
  it('records only acknowledged offsets, and on reopening cuts the unacknowledged tail', async () => {
    const { store } = await FileMediaStore.open(dataDir);
    await store.createMedia(newMedia);
    const appender = await store.openAppender(key);
    await appender.append([Buffer.from('acknowledged|')]);
    expect(await appender.acknowledge()).toBe(13);
    await appender.append([Buffer.from('lost in a crash')]);
    expect(appender.writtenOffset).toBe(28);
    expect((await store.getMedia(key))?.uploadOffset).toBe(13);
    expect((await store.getMedia(key))?.state).toBe('uploading');
    // Simulate a crash: the process dies without acknowledging or closing anything.
    await store.close();

    const reopened = await FileMediaStore.open(dataDir);
    expect(reopened.reconciled.truncated).toEqual([key]);
    expect((await stat(join(dataDir, 'uploads', 'example.test', key.mediaId))).size).toBe(13);
    expect((await collect(reopened.store.readRange(key, 0, 13))).toString()).toBe('acknowledged|');
    const resumed = await reopened.store.openAppender(key);
    expect(resumed.writtenOffset).toBe(13);
    await resumed.append([Buffer.from('rest')]);
    await resumed.complete();
    await resumed.close();
    expect(await reopened.store.getMedia(key)).toMatchObject({
      state: 'complete',
      uploadOffset: 17,
      declaredLength: 17,
    });
    await appender.close();
    await reopened.store.close();
  });

  it('keeps an interim checkpoint through a crash of the process', async () => {
    const { store } = await FileMediaStore.open(dataDir);
    await store.createMedia(newMedia);
    const appender = await store.openAppender(key);
    await appender.append([Buffer.from('checkpoint|')]);
    expect(await appender.acknowledge({ interim: true })).toBe(11);
    await appender.append([Buffer.from('after it')]);
    await store.close();

    const reopened = await FileMediaStore.open(dataDir);
    expect((await reopened.store.getMedia(key))?.uploadOffset).toBe(11);
    expect((await collect(reopened.store.readRange(key, 0, 11))).toString()).toBe('checkpoint|');
    await appender.close();
    await reopened.store.close();
  });

  it('commits an offset recorded as interim durably before it is acknowledged to a client', async () => {
    const handle = await open(join(dataDir, 'upload'), 'w+');
    const record = vi.fn<(offset: number, complete: boolean, interim: boolean) => void>();
    const appender = new FileAppender(handle, 0, record);
    await appender.append([Buffer.from('12345678')]);
    expect(await appender.acknowledge({ interim: true })).toBe(8);
    expect(record.mock.calls).toEqual([[8, false, true]]);
    // Nothing new since: the same offset is recorded again, this time durably.
    expect(await appender.acknowledge()).toBe(8);
    expect(record.mock.calls).toEqual([
      [8, false, true],
      [8, false, false],
    ]);
    // Already durable: nothing more to record.
    expect(await appender.acknowledge()).toBe(8);
    expect(await appender.acknowledge({ interim: true })).toBe(8);
    expect(record).toHaveBeenCalledTimes(2);
    await appender.append([Buffer.from('9')]);
    await appender.complete();
    expect(record.mock.calls.at(-1)).toEqual([9, true, false]);
    await appender.close();
  });

  it('counts pending uploads per owner until they complete or expire, and removes terminated data', async () => {
    const { store } = await FileMediaStore.open(dataDir);
    await store.createMedia(newMedia);
    await store.createMedia({ ...newMedia, mediaId: 'second' });
    expect(await store.countPendingUploads('@a:example.test', 50)).toBe(2);
    expect(await store.countPendingUploads('@a:example.test', 100)).toBe(0);
    expect((await store.listExpiredUploads(100)).map((r) => r.mediaId).sort()).toEqual([key.mediaId, 'second'].sort());
    const appender = await store.openAppender(key);
    await appender.append([Buffer.from('partial')]);
    await appender.acknowledge();
    await appender.close();
    await store.terminateMedia(key, 'expired');
    expect((await store.getMedia(key))?.state).toBe('expired');
    await expect(stat(join(dataDir, 'uploads', 'example.test', key.mediaId))).rejects.toThrow();
    expect(await store.countPendingUploads('@a:example.test', 50)).toBe(1);
    await store.close();
  });

  it('refuses media IDs that could escape the data directory', async () => {
    const { store } = await FileMediaStore.open(dataDir);
    await store.createMedia({ ...newMedia, mediaId: '../escape' });
    await expect(store.openAppender({ ...key, mediaId: '../escape' })).rejects.toThrow(/invalid media ID/);
    await store.close();
  });
});
