import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import type { ReceiveRecord } from './transfer-record.js';
import { TransferStore } from './transfer-store.js';

const scratch = useScratchDirectory('store');

function receiveRecord(id: string, createdAt: number): ReceiveRecord {
  return {
    id,
    direction: 'receive',
    createdAt,
    updatedAt: createdAt,
    status: 'downloading',
    homeserverUrl: 'https://matrix.example.org',
    fileName: 'film.mp4',
    mimetype: 'video/mp4',
    format: 'v3',
    size: 10,
    sealedFile: 'slipstream-secret-v1:AAAA',
    contentUri: 'mxc://example.org/abc',
    destinationDir: '/tmp',
    partialPath: '/tmp/.slipstream-x.part',
    checkpoint: { plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 },
  };
}

describe('TransferStore', () => {
  it('saves, loads and lists records oldest first, leaving no temporary files', async () => {
    const store = new TransferStore(scratch.path);
    const second = receiveRecord(TransferStore.newId(), 2);
    const first = receiveRecord(TransferStore.newId(), 1);
    await store.save(second);
    await store.save(first);
    await Promise.all([1, 2, 3].map((n) => store.save({ ...first, updatedAt: n })));
    expect(await store.load(first.id)).toEqual({ ...first, updatedAt: 3 });
    expect((await store.list()).map((record) => record.id)).toEqual([first.id, second.id]);
    expect((await readdir(store.directory)).sort()).toEqual([`${first.id}.json`, `${second.id}.json`].sort());
  });

  it('reads records written before outcomes and plain files existed', async () => {
    const store = new TransferStore(scratch.path);
    const earlier = receiveRecord(TransferStore.newId(), 1);
    await store.save(earlier);
    const send = {
      ...receiveRecord(TransferStore.newId(), 2),
      direction: 'send',
      source: { path: '/tmp/film.mp4', size: 10, mtimeNs: '1', ctimeNs: '1', ino: '1', dev: '1' },
      uploadMethod: 'tus',
      ciphertextSize: 46,
      acknowledged: 0,
      ledgerGroups: { unit: 65536, cap: 4194304 },
    } as Record<string, unknown>;
    for (const key of ['destinationDir', 'partialPath', 'checkpoint']) delete send[key];
    await writeFile(store.pathOf(send['id'] as string), JSON.stringify(send));
    expect((await store.list()).map((record) => [record.direction, record.format])).toEqual([
      ['receive', 'v3'],
      ['send', 'v3'],
    ]);
  });

  it('keeps what a plain file is: no sealed file block, and its outcome facts', async () => {
    const store = new TransferStore(scratch.path);
    const { sealedFile: _sealed, ...plain } = receiveRecord(TransferStore.newId(), 1);
    const record: ReceiveRecord = {
      ...plain,
      format: 'plain',
      awaitsOutcome: true,
      outcome: { kind: 'completed', size: 10, ciphertextSha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg' },
    };
    await store.save(record);
    expect(await store.load(record.id)).toEqual(record);
    // Only a completed outcome is ever kept: a cancelled one is applied at once.
    await expect(
      store.save({ ...record, outcome: { kind: 'cancelled' } } as unknown as ReceiveRecord),
    ).rejects.toThrow();
  });

  it('refuses to save a record that breaks its schema', async () => {
    const store = new TransferStore(scratch.path);
    await expect(store.save({ ...receiveRecord('x', 1), id: 'bad id!' })).rejects.toThrow();
  });

  it('skips and reports a damaged record rather than failing the others', async () => {
    const store = new TransferStore(scratch.path);
    const good = receiveRecord(TransferStore.newId(), 1);
    await store.save(good);
    await writeFile(join(store.directory, 'damaged00000.json'), '{"half": ');
    const damaged: string[] = [];
    expect((await store.list((file) => damaged.push(file))).map((record) => record.id)).toEqual([good.id]);
    expect(damaged).toEqual([join(store.directory, 'damaged00000.json')]);
    await store.remove(good.id);
    expect(await store.load(good.id)).toBeUndefined();
  });
});
