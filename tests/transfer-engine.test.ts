import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { startMediaProxy } from './support/media-proxy.js';
import {
  freshInbox,
  makeSampleFile,
  openTestEngine,
  receiveAsBob,
  sendOverSlowLink,
  sha256OfFile,
  until,
  useTransferPair,
} from './support/transfer.js';

/*
 * How the engine drives transfers, against the real stack: updates, the concurrency limit, pause,
 * resume and cancel, automatic retries after a broken connection, and picking transfers up again
 * after the engine itself was closed (the app quitting) and reopened.
 */

const MiB = 1024 * 1024;

/** Collects every update the engine emits. */
function recorder(engine: { subscribe(listener: (update: TransferUpdate) => void): () => void }) {
  const updates: (TransferUpdate & { at: number })[] = [];
  const stop = engine.subscribe((update) => updates.push({ ...update, at: performance.now() }));
  return { updates, stop };
}

describe('the transfer engine', () => {
  const pair = useTransferPair('engine');

  it('reports queued, running and completed in order, and throttles progress updates', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'updates.bin'), 32 * MiB);
    const { proxy, outgoing } = await sendOverSlowLink(pair, path, 32 * MiB);
    const { updates, stop } = recorder(pair.sender);
    try {
      const final = await pair.sender.settled(outgoing.transferId);
      expect(final.status).toBe('completed');
    } finally {
      stop();
      await proxy.close();
    }
    const mine = updates.filter((update) => update.id === outgoing.transferId);
    const statuses = mine.map((update) => update.status).filter((status, i, all) => status !== all[i - 1]);
    expect(statuses).toEqual(['uploading', 'completed']);
    const progress = mine.filter((update) => update.status === 'uploading');
    // At most one progress update per 250 ms interval (plus the status changes), however many chunks.
    const span = progress.at(-1)!.at - progress[0]!.at;
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(span / 250) + 3);
    expect(progress.some((update) => update.rate > 0)).toBe(true);
    expect(mine.at(-1)).toMatchObject({ bytesDone: 32 * MiB, bytesTotal: 32 * MiB, rate: 0 });
    // Updates never carry key material or tokens.
    expect(JSON.stringify(mine)).not.toMatch(/"k"|syt_/);
  });

  it('uploads in one tus PATCH by default, and in PATCHes of at most tusChunkSize when given one', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'patches.bin'), 10 * MiB);
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl });
    const limited = await openTestEngine(join(pair.scratch.path, 'limited-patches'), { tusChunkSize: 3 * MiB });
    const access = { homeserverUrl: proxy.url, accessToken: pair.alice.accessToken };
    /** The PATCHes that carried bytes since `from`, each checked to start where the one before ended. */
    const bodiesSince = (from: number) => {
      const bodies = proxy.patches.slice(from).filter((patch) => patch.bytes > 0);
      bodies.forEach((patch, i) =>
        expect(patch.offset).toBe(i === 0 ? 0 : bodies[i - 1]!.offset + bodies[i - 1]!.bytes),
      );
      expect(bodies.every((patch) => patch.status === 204)).toBe(true);
      return bodies;
    };
    try {
      const whole = await pair.sender.send(path, access);
      expect((await pair.sender.settled(whole.transferId)).status).toBe('completed');
      const [onePatch, ...more] = bodiesSince(0);
      expect(more).toEqual([]);
      const ciphertextSize = onePatch!.bytes;
      expect(ciphertextSize).toBeGreaterThan(10 * MiB);

      const before = proxy.patches.length;
      const chunked = await limited.send(path, access);
      expect((await limited.settled(chunked.transferId)).status).toBe('completed');
      const patches = bodiesSince(before);
      expect(patches.map((patch) => patch.bytes)).toEqual([3 * MiB, 3 * MiB, 3 * MiB, ciphertextSize - 9 * MiB]);

      const inbox = await freshInbox(pair, 'inbox-patches');
      const received = await pair.receiver.settled(await receiveAsBob(pair, chunked.content, inbox));
      expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(path));
    } finally {
      await limited.close();
      await proxy.close();
    }
  });

  it('runs at most maxConcurrent transfers at once and queues the rest', async () => {
    const engine = await openTestEngine(join(pair.scratch.path, 'limited'), { maxConcurrent: 1 });
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: 32 * MiB });
    const { updates, stop } = recorder(engine);
    try {
      const paths = await Promise.all(
        [0, 1, 2].map((n) => makeSampleFile(join(pair.scratch.path, `queued-${n}.bin`), 6 * MiB)),
      );
      const ids: string[] = [];
      for (const path of paths) {
        ids.push(
          (await engine.send(path, { homeserverUrl: proxy.url, accessToken: pair.alice.accessToken })).transferId,
        );
      }
      expect(engine.snapshot(ids[2]!).status).toBe('queued');
      const finals = await Promise.all(ids.map((id) => engine.settled(id)));
      expect(finals.map((update) => update.status)).toEqual(['completed', 'completed', 'completed']);
      // Replay the statuses: never two running at once.
      const running = new Set<string>();
      let most = 0;
      for (const update of updates) {
        if (update.status === 'uploading') running.add(update.id);
        else running.delete(update.id);
        most = Math.max(most, running.size);
      }
      expect(most).toBe(1);
    } finally {
      stop();
      await engine.close();
      await proxy.close();
    }
  });

  it('pauses and resumes a send, which then completes identical', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'paused.bin'), 32 * MiB);
    const { proxy, outgoing } = await sendOverSlowLink(pair, path, 16 * MiB);
    try {
      const id = outgoing.transferId;
      await until(() => pair.sender.snapshot(id).bytesDone > 4 * MiB, 'some progress');
      await pair.sender.pause(id);
      expect(pair.sender.snapshot(id).status).toBe('paused');
      const patchesAtPause = proxy.patches.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(proxy.patches.length).toBe(patchesAtPause);
      pair.sender.resume(id);
      expect((await pair.sender.settled(id)).status).toBe('completed');
    } finally {
      await proxy.close();
    }
    const inbox = await freshInbox(pair, 'inbox-paused');
    const received = await pair.receiver.settled(await receiveAsBob(pair, outgoing.content, inbox));
    expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(path));
  });

  it('cancelling a send terminates the upload: a receiver following it fails at once', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'cancelled.bin'), 32 * MiB);
    const { proxy, outgoing } = await sendOverSlowLink(pair, path, 8 * MiB);
    const inbox = await freshInbox(pair, 'inbox-cancelled');
    try {
      const receiveId = await receiveAsBob(pair, outgoing.content, inbox);
      await until(() => pair.receiver.snapshot(receiveId).bytesDone > 1 * MiB, 'the receiver to follow');
      await pair.sender.cancel(outgoing.transferId);
      expect(pair.sender.snapshot(outgoing.transferId).status).toBe('cancelled');
      const received = await pair.receiver.settled(receiveId);
      expect(received.status).toBe('failed');
      expect(received.failure?.code).toBe('MEDIA_UNAVAILABLE');
      expect(await readdir(inbox)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('cancelling a receive removes its partial file', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'unwanted.bin'), 16 * MiB);
    const sent = await pair.sender.send(path, {
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
    });
    await pair.sender.settled(sent.transferId);
    const slow = await startMediaProxy({ upstream: pair.stack.baseUrl, downloadBytesPerSecond: 4 * MiB });
    const inbox = await freshInbox(pair, 'inbox-unwanted');
    try {
      const id = await receiveAsBob(pair, sent.content, inbox, { homeserverUrl: slow.url });
      await until(() => pair.receiver.snapshot(id).bytesDone > 0, 'some bytes');
      expect((await readdir(inbox)).length).toBe(1);
      await pair.receiver.cancel(id);
      expect(pair.receiver.snapshot(id).status).toBe('cancelled');
      expect(await readdir(inbox)).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('retries a broken upload and a broken download by itself, with a visible retry state', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'flaky.bin'), 24 * MiB);
    const flaky = await startMediaProxy({
      upstream: pair.stack.baseUrl,
      breakNextUploadAfter: 5 * MiB,
      breakNextDownloadAfter: 7 * MiB,
    });
    const senderUpdates = recorder(pair.sender);
    const receiverUpdates = recorder(pair.receiver);
    try {
      const sent = await pair.sender.send(path, { homeserverUrl: flaky.url, accessToken: pair.alice.accessToken });
      expect((await pair.sender.settled(sent.transferId)).status).toBe('completed');
      const inbox = await freshInbox(pair, 'inbox-flaky');
      const received = await pair.receiver.settled(
        await receiveAsBob(pair, sent.content, inbox, { homeserverUrl: flaky.url }),
      );
      expect(received.status, JSON.stringify(received.failure)).toBe('completed');
      expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(path));
      expect(senderUpdates.updates.some((update) => update.retry?.attempt === 1)).toBe(true);
      expect(receiverUpdates.updates.some((update) => update.retry?.attempt === 1)).toBe(true);
      // The resumed download asked for the rest (from its last checkpoint), not the whole file again.
      expect(flaky.downloadRanges[0]).toBeUndefined();
      expect(flaky.downloadRanges[1]).toMatch(/^bytes=[1-9]\d*-$/);
    } finally {
      senderUpdates.stop();
      receiverUpdates.stop();
      await flaky.close();
    }
  });

  it('picks up interrupted transfers after the engine was closed and reopened (an app restart)', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'restart.bin'), 32 * MiB);
    const sendDir = join(pair.scratch.path, 'restart-sender');
    const receiveDir = join(pair.scratch.path, 'restart-receiver');
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: 16 * MiB });
    const inbox = await freshInbox(pair, 'inbox-restart');
    try {
      let sender = await openTestEngine(sendDir);
      let receiver = await openTestEngine(receiveDir);
      const sent = await sender.send(path, { homeserverUrl: proxy.url, accessToken: pair.alice.accessToken });
      const receiveId = await receiver.receive({
        event: sent.content,
        homeserverUrl: pair.stack.baseUrl,
        accessToken: pair.bob.accessToken,
        destinationDir: inbox,
      });
      await until(() => receiver.snapshot(receiveId).bytesDone > 4 * MiB, 'the receiver to get going');
      await Promise.all([sender.close(), receiver.close()]);

      sender = await openTestEngine(sendDir);
      receiver = await openTestEngine(receiveDir);
      expect(sender.snapshot(sent.transferId).status).toBe('uploading');
      sender.authorise({ homeserverUrl: proxy.url, accessToken: pair.alice.accessToken });
      receiver.authorise({ homeserverUrl: pair.stack.baseUrl, accessToken: pair.bob.accessToken });
      expect(sender.resumeInterrupted()).toEqual([sent.transferId]);
      expect(receiver.resumeInterrupted()).toEqual([receiveId]);
      const [sendFinal, receiveFinal] = await Promise.all([
        sender.settled(sent.transferId),
        receiver.settled(receiveId),
      ]);
      await Promise.all([sender.close(), receiver.close()]);
      expect(sendFinal.status).toBe('completed');
      expect(receiveFinal.status, JSON.stringify(receiveFinal.failure)).toBe('completed');
      expect(sendFinal.contentUri).toBe(sent.content.file.url);
      expect(await sha256OfFile(receiveFinal.savedPath!)).toBe(await sha256OfFile(path));
    } finally {
      await proxy.close();
    }
  });

  it('retries a failed send from where the server got it, and a failed receive from the start', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'retry.bin'), 16 * MiB);
    const engine = await openTestEngine(join(pair.scratch.path, 'retry-sender'), {
      retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 100 },
    });
    const first = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: 4 * MiB });
    let second: Awaited<ReturnType<typeof startMediaProxy>> | undefined;
    try {
      const sent = await engine.send(path, { homeserverUrl: first.url, accessToken: pair.alice.accessToken });
      await until(() => engine.snapshot(sent.transferId).bytesDone > 10 * MiB, 'the upload to get going');
      await first.close();
      const failed = await engine.settled(sent.transferId);
      expect(failed.status).toBe('failed');
      expect(failed.failure?.code).toBe('NETWORK');
      // The server is back where it was; the person presses Retry.
      second = await startMediaProxy({ upstream: pair.stack.baseUrl, port: Number(new URL(first.url).port) });
      await engine.retry(sent.transferId);
      expect((await engine.settled(sent.transferId)).status).toBe('completed');
      // It went on from what the server had kept, not from the start.
      expect(second.patches.find((patch) => patch.bytes > 0)!.offset).toBeGreaterThan(0);
      await expect(engine.retry(sent.transferId)).rejects.toMatchObject({ code: 'WRONG_STATE' });

      const tampering = await startMediaProxy({
        upstream: pair.stack.baseUrl,
        tamper: { kind: 'flip', frame: 3, byte: 5, fixCrc: true },
      });
      try {
        const inbox = await freshInbox(pair, 'inbox-retry');
        const receiveId = await pair.receiver.receive({
          event: sent.content,
          homeserverUrl: tampering.url,
          accessToken: pair.bob.accessToken,
          destinationDir: inbox,
        });
        expect((await pair.receiver.settled(receiveId)).failure?.code).toBe('TAMPERED_BLOCK');
        expect(await readdir(inbox)).toEqual([]);
        tampering.options.tamper = undefined;
        const downloadsBefore = tampering.downloadRanges.length;
        // Retry pressed twice at once: one run, not two writing the same file.
        await Promise.all([pair.receiver.retry(receiveId), pair.receiver.retry(receiveId)]);
        const received = await pair.receiver.settled(receiveId);
        expect(received.status).toBe('completed');
        expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(path));
        expect(tampering.downloadRanges.length - downloadsBefore).toBe(1);
        expect(await readdir(inbox)).toEqual(['retry.bin']);
      } finally {
        await tampering.close();
      }
    } finally {
      await engine.close();
      await first.close();
      await second?.close();
    }
  });

  it('forgets only finished transfers, keeps room and event with a transfer across a restart, and takes a new concurrency limit at once', async () => {
    const directory = join(pair.scratch.path, 'forget');
    let engine = await openTestEngine(directory, { maxConcurrent: 1 });
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: 4 * MiB });
    try {
      const access = { homeserverUrl: proxy.url, accessToken: pair.alice.accessToken };
      const paths = await Promise.all(
        [0, 1].map((index) => makeSampleFile(join(pair.scratch.path, `limit-${index}.bin`), 8 * MiB)),
      );
      const [a, b] = [
        await engine.send(paths[0]!, { ...access, roomId: '!room:localhost' }),
        await engine.send(paths[1]!, access),
      ];
      await until(() => engine.snapshot(a.transferId).status === 'uploading', 'the first upload to start');
      expect(engine.snapshot(b.transferId).status).toBe('queued');
      engine.setMaxConcurrent(2);
      await until(() => engine.snapshot(b.transferId).status === 'uploading', 'the limit to rise');
      await expect(engine.forget(a.transferId)).rejects.toMatchObject({ code: 'WRONG_STATE' });
      await engine.cancel(b.transferId);
      await engine.forget(b.transferId);
      expect(engine.record(b.transferId)).toBeUndefined();
      expect(engine.list().map((update) => update.id)).toEqual([a.transferId]);
      expect(engine.snapshot(a.transferId).roomId).toBe('!room:localhost');
      await engine.pause(a.transferId);
      await engine.close();

      engine = await openTestEngine(directory);
      expect(engine.list().map((update) => [update.id, update.roomId, update.status])).toEqual([
        [a.transferId, '!room:localhost', 'paused'],
      ]);
      // A paused send shows what the server acknowledged, not zero, before it runs again.
      expect(engine.snapshot(a.transferId).bytesDone).toBeGreaterThan(0);
      await expect(engine.pause('Qb3k2m9x1LpZ')).rejects.toMatchObject({ code: 'NO_SUCH_TRANSFER' });
    } finally {
      await engine.close();
      await proxy.close();
    }
  });
});
