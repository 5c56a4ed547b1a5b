import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IpcError } from '../shared/ipc/ipc-error.js';
import { OUTCOME_FOLLOWS_KEY, type TransferOutcome } from '../shared/matrix/transfer-outcome.js';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { AppBackend } from '../main/core/app/app-backend.js';
import { FolderAccess, placesFor } from '../main/core/app/folder-access.js';
import { folderPathPolicy } from '../main/core/app/path-policy.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import { channelSamples } from './support/contract-samples.js';
import { type MediaProxy, startMediaProxy } from './support/media-proxy.js';
import { makeSampleFile, until, useTransferPair } from './support/transfer.js';

/*
 * The app's side of the outcome event (docs/PROTOCOL.md §7) through the contract's handlers, as the
 * renderer calls them: a file event that promises an outcome keeps its file hidden until
 * settleReceive, the person's keepCancelledPartials setting decides what a sender's cancel leaves,
 * and noteSendEvents and settleReceive refuse what they cannot apply.
 */

const MiB = 1024 * 1024;
const room = '!room:example.org';

describe('the app backend and the outcome event', () => {
  const pair = useTransferPair('backend-outcome');
  let backend: AppBackend;
  let downloads: string;
  let slow: MediaProxy;
  const shown: string[] = [];
  const updates = new Map<string, TransferUpdate>();

  beforeAll(async () => {
    const dataDir = join(pair.scratch.path, 'app-data');
    downloads = join(pair.scratch.path, 'Downloads');
    await mkdir(downloads, { recursive: true });
    await mkdir(dataDir, { recursive: true });
    slow = await startMediaProxy({ upstream: pair.stack.baseUrl, downloadBytesPerSecond: 4 * MiB });
    const folders = await FolderAccess.create(placesFor(pair.scratch.path, []), [dataDir]);
    backend = await AppBackend.open({
      dataDir,
      secretStore: new FileSecretStore(join(dataDir, 'secret-store.key')),
      platform: { showItemInFolder: async (path) => void shown.push(path), openPath: async () => undefined },
      info: channelSamples.appInfo.response,
      defaultDownloadFolder: downloads,
      folders,
      paths: folderPathPolicy(folders),
      sink: (event, payload) => {
        if (event === 'transferUpdated') updates.set((payload as TransferUpdate).id, payload as TransferUpdate);
      },
      log: () => undefined,
    });
    // Bob, signed in through the slow link, so a download is still under way when its sender cancels.
    await backend.handlers.saveSession({
      homeserverUrl: slow.url,
      userId: pair.bob.userId,
      deviceId: 'BOBDEVICE',
      accessToken: pair.bob.accessToken,
    });
  });

  afterAll(async () => {
    await backend?.close();
    await slow?.close();
  });

  /** Alice's file event content for a file of `size` bytes, announced as the renderer posts it. */
  async function announced(name: string, size: number) {
    const path = await makeSampleFile(join(pair.scratch.path, name), size);
    const sent = await pair.sender.send(path, {
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
    });
    const final = await pair.sender.settled(sent.transferId);
    const outcome: TransferOutcome = { kind: 'completed', size, ciphertextSha256: final.ciphertextSha256! };
    return { path, content: { ...sent.content, [OUTCOME_FOLLOWS_KEY]: true }, outcome };
  }

  async function refusal(answer: unknown): Promise<IpcError> {
    const error = await Promise.resolve(answer).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(IpcError);
    return error as IpcError;
  }

  const now = (id: string) => backend.engine.snapshot(id);

  it('asks the engine to upload straight to the store (MSC3870) only when the settings say so', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'straight.bin'), 64 * 1024);
    const send = vi.spyOn(backend.engine, 'send');
    try {
      await backend.handlers.updateSettings({ directUploads: true });
      const direct = await backend.handlers.sendFile({ source: { kind: 'path', path }, roomId: room });
      expect(send.mock.calls.at(-1)?.[1]).toMatchObject({ preferDirectUpload: true });
      // This server offers no upload_url: the send goes through the media server as always.
      expect((await backend.engine.settled(direct.transferId)).status).toBe('completed');
      await backend.handlers.updateSettings({ directUploads: false });
      await backend.handlers.sendFile({ source: { kind: 'path', path }, roomId: room });
      expect(send.mock.calls.at(-1)?.[1]).not.toHaveProperty('preferDirectUpload');
    } finally {
      send.mockRestore();
    }
  });

  it('an event that promises an outcome keeps its file hidden until settleReceive, then saves it verified', async () => {
    const { content, outcome, path } = await announced('promised.bin', 1 * MiB + 3);
    // No awaitOutcome in the request: the event's own promise is what counts.
    const { transferId } = await backend.handlers.receiveFile({ content, roomId: room, eventId: '$promised' });
    await until(() => now(transferId).waitingForOutcome === true, 'every byte to be in', 30_000);
    // The pushed update follows the engine's state (updates go out throttled, a moment later).
    await until(() => updates.get(transferId)?.waitingForOutcome === true, 'the waiting state to be pushed', 30_000);
    expect((await readdir(downloads)).filter((name) => !name.startsWith('.'))).toEqual([]);
    await backend.handlers.settleReceive({ id: transferId, outcome });
    const final = await backend.engine.settled(transferId);
    expect(final).toMatchObject({ status: 'completed', verified: true, savedPath: join(downloads, 'promised.bin') });
    expect((await readFile(final.savedPath!)).equals(await readFile(path))).toBe(true);
    expect((await refusal(backend.handlers.settleReceive({ id: transferId, outcome }))).code).toBe('WRONG_STATE');
  });

  it('a sender’s cancel keeps what arrived, marked incomplete, when the settings say so', async () => {
    const { content } = await announced('cancelled.bin', 16 * MiB);
    await backend.handlers.updateSettings({ keepCancelledPartials: true });
    const { transferId } = await backend.handlers.receiveFile({ content, roomId: room, eventId: '$cancelled' });
    await until(() => now(transferId).bytesDone > 1 * MiB, 'some bytes', 30_000);
    await backend.handlers.settleReceive({ id: transferId, outcome: { kind: 'cancelled' } });
    const final = now(transferId);
    expect(final).toMatchObject({ status: 'cancelled', cancelledBySender: true });
    expect(basename(final.savedPath!)).toBe('cancelled (incomplete).bin');
    await backend.handlers.showTransferInFolder({ id: transferId });
    expect(shown.at(-1)).toBe(final.savedPath);
    // Asked for again once its sender cancelled it, and never received: there is nothing to download.
    const gone = await refusal(
      backend.handlers.receiveFile({
        content,
        roomId: room,
        eventId: '$never-received',
        outcome: { kind: 'cancelled' },
      }),
    );
    expect(gone.code).toBe('MEDIA_UNAVAILABLE');
    await backend.handlers.updateSettings({ keepCancelledPartials: false });
  });

  it('a file this account sent and noted can still be downloaded: its own file event is no receive', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'own.bin'), 2000);
    const sent = await backend.handlers.sendFile({ source: { kind: 'path', path }, roomId: room });
    await backend.handlers.noteSendEvents({ id: sent.transferId, eventId: '$own' });
    expect(now(sent.transferId)).toMatchObject({ eventId: '$own', announced: true, roomId: room });
    const { transferId } = await backend.handlers.receiveFile({ content: sent.content, roomId: room, eventId: '$own' });
    expect(transferId).not.toBe(sent.transferId);
    expect(now(transferId).direction).toBe('receive');
  });

  it('noteSendEvents and settleReceive refuse transfers they do not apply to, in words', async () => {
    const { content } = await announced('small.bin', 1000);
    const { transferId } = await backend.handlers.receiveFile({ content, roomId: room, eventId: '$small' });
    const onReceive = await refusal(backend.handlers.noteSendEvents({ id: transferId, eventId: '$mine' }));
    expect(onReceive.code).toBe('WRONG_STATE');
    expect(onReceive.message).toMatch(/received file/);
    const unknown = await refusal(
      backend.handlers.settleReceive({ id: 'NoSuchTransfer1', outcome: { kind: 'cancelled' } }),
    );
    expect(unknown.code).toBe('NO_SUCH_TRANSFER');
    expect(
      (await refusal(backend.handlers.noteSendEvents({ id: 'NoSuchTransfer1', outcomeAnnounced: true }))).code,
    ).toBe('NO_SUCH_TRANSFER');
  });
});
