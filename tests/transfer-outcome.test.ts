import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMxcUri } from '../shared/matrix/mxc.js';
import type { TransferOutcome } from '../shared/matrix/transfer-outcome.js';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { MediaRepositoryClient } from '../main/core/transfer/media-repository-client.js';
import type { TransferEngine } from '../main/core/transfer/transfer-engine.js';
import { isTransferError } from '../main/core/transfer/transfer-error.js';
import { startMediaProxy } from './support/media-proxy.js';
import {
  freshInbox,
  makeSampleFile,
  openTestEngine,
  sha256OfFile,
  type TransferPair,
  until,
  useTransferPair,
} from './support/transfer.js';

/*
 * The outcome event's half in the engine (docs/PROTOCOL.md §7), against the real stack: the sender's
 * SHA-256 of the whole ciphertext, whatever interrupted the upload; the receiver's, whatever
 * interrupted the download; a receive that keeps its file hidden until its sender's outcome matched,
 * across restarts; the sender's cancel; and what the app notes on a send.
 */

const MiB = 1024 * 1024;

/** The SHA-256 (unpadded base64) of the media as the server holds it: what an outcome event must say. */
async function uploadedSha256(pair: TransferPair, contentUri: string): Promise<string> {
  const client = new MediaRepositoryClient({ homeserverUrl: pair.stack.baseUrl, accessToken: pair.bob.accessToken });
  const response = await client.download(parseMxcUri(contentUri), { timeoutMs: 20_000 });
  const hash = createHash('sha256');
  for await (const chunk of response.body) hash.update(chunk);
  return hash.digest('base64').replace(/=+$/, '');
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** What is in a folder besides hidden partial files. */
async function visibleFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => !name.startsWith('.')).sort();
}

describe('the outcome of a transfer', () => {
  const pair = useTransferPair('outcome');

  /** Alice sends `size` bytes straight to the stack and waits for the upload to end. */
  async function sentFile(name: string, size: number, format: 'v3' | 'v2' = 'v3') {
    const path = await makeSampleFile(join(pair.scratch.path, name), size);
    const sent = await pair.sender.send(path, {
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
      format,
    });
    const update = await pair.sender.settled(sent.transferId);
    expect(update.status).toBe('completed');
    return { path, sent, update };
  }

  function completedOutcome(update: TransferUpdate): TransferOutcome {
    return { kind: 'completed', size: update.bytesTotal, ciphertextSha256: update.ciphertextSha256! };
  }

  function receive(
    engine: TransferEngine,
    content: unknown,
    destinationDir: string,
    options: { awaitOutcome?: boolean; outcome?: TransferOutcome & { kind: 'completed' }; homeserverUrl?: string } = {},
  ): Promise<string> {
    return engine.receive({
      event: content,
      homeserverUrl: options.homeserverUrl ?? pair.stack.baseUrl,
      accessToken: pair.bob.accessToken,
      destinationDir,
      ...(options.awaitOutcome && { awaitOutcome: true }),
      ...(options.outcome && { outcome: options.outcome }),
    });
  }

  it('a completed send reports the SHA-256 of its whole ciphertext, and its receiver computes the same', async () => {
    const { sent, update } = await sentFile('hashed.bin', 12 * MiB + 7);
    expect(update.ciphertextSha256).toBe(await uploadedSha256(pair, sent.content.file.url!));
    const inbox = await freshInbox(pair, 'inbox-hashed');
    const received = await pair.receiver.settled(await receive(pair.receiver, sent.content, inbox));
    expect(received).toMatchObject({ status: 'completed', ciphertextSha256: update.ciphertextSha256 });
    // Nothing was published to check it against.
    expect(received.verified).toBeUndefined();

    // v2 carries its SHA-256 in the event: the send reports that one, and the receive is verified by it.
    const v2 = await sentFile('hashed-v2.bin', 3 * MiB + 5, 'v2');
    expect(v2.sent.content.file.v).toBe('v2');
    expect(v2.update.ciphertextSha256).toBe((v2.sent.content.file as { hashes: { sha256: string } }).hashes.sha256);
    const v2Received = await pair.receiver.settled(
      await receive(pair.receiver, v2.sent.content, await freshInbox(pair, 'inbox-v2')),
    );
    expect(v2Received).toMatchObject({
      status: 'completed',
      verified: true,
      ciphertextSha256: v2.update.ciphertextSha256,
    });
  });

  it(
    'the sender’s SHA-256 holds across a broken connection, a pause and a restart in the middle of the upload',
    { timeout: 120_000 },
    async () => {
      const path = await makeSampleFile(join(pair.scratch.path, 'interrupted.bin'), 40 * MiB + 3);
      const proxy = await startMediaProxy({
        upstream: pair.stack.baseUrl,
        uploadBytesPerSecond: 16 * MiB,
        breakNextUploadAfter: 6 * MiB,
      });
      const directory = join(pair.scratch.path, 'interrupted-sender');
      let engine = await openTestEngine(directory);
      try {
        const access = { homeserverUrl: proxy.url, accessToken: pair.alice.accessToken };
        const sent = await engine.send(path, access);
        const id = sent.transferId;
        await until(() => engine.snapshot(id).bytesDone > 10 * MiB, 'the upload to go on after the break');
        await engine.pause(id);
        engine.resume(id);
        await until(() => engine.snapshot(id).bytesDone > 20 * MiB, 'the upload to go on after the pause');
        await engine.close();

        // A new process: the prefix the server has is not sent again, its hash is re-derived.
        const patchesBefore = proxy.patches.length;
        proxy.options.uploadBytesPerSecond = undefined;
        engine = await openTestEngine(directory);
        engine.authorise(access);
        expect(engine.resumeInterrupted()).toEqual([id]);
        const final = await engine.settled(id);
        expect(final.status, JSON.stringify(final.failure)).toBe('completed');
        // 20 MiB had left the sender; what the server held was less by what the slowed proxy still had in
        // its buffers (seen: 19.2 MiB). The resumed upload starts from there, far from the start.
        expect(proxy.patches.slice(patchesBefore).find((patch) => patch.bytes > 0)?.offset).toBeGreaterThan(16 * MiB);
        expect(final.ciphertextSha256).toBe(await uploadedSha256(pair, sent.content.file.url!));
        // Kept with the record: a completed send reports it after a restart too.
        await engine.close();
        engine = await openTestEngine(directory);
        expect(engine.snapshot(id).ciphertextSha256).toBe(final.ciphertextSha256);
      } finally {
        await engine.close();
        await proxy.close();
      }
    },
  );

  it(
    'a receive that awaits its sender’s outcome keeps the file hidden with every byte in, across a restart, then saves it verified',
    { timeout: 60_000 },
    async () => {
      const { path, sent, update } = await sentFile('awaited.bin', 8 * MiB + 1);
      const inbox = await freshInbox(pair, 'inbox-awaited');
      const directory = join(pair.scratch.path, 'awaiting-receiver');
      let engine = await openTestEngine(directory);
      try {
        const id = await receive(engine, sent.content, inbox, { awaitOutcome: true });
        await until(() => engine.snapshot(id).waitingForOutcome === true, 'every byte to be in');
        expect(engine.snapshot(id)).toMatchObject({
          status: 'downloading',
          bytesDone: 8 * MiB + 1,
          rate: 0,
          ciphertextSha256: update.ciphertextSha256,
        });
        expect(engine.snapshot(id).etaSeconds).toBeUndefined();
        expect(await visibleFiles(inbox)).toEqual([]);
        // Nothing to pause: it waits for its sender, not for bytes.
        await engine.pause(id);
        expect(engine.snapshot(id).waitingForOutcome).toBe(true);
        await engine.close();

        engine = await openTestEngine(directory);
        engine.authorise({ homeserverUrl: pair.stack.baseUrl, accessToken: pair.bob.accessToken });
        engine.resumeInterrupted();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(engine.snapshot(id)).toMatchObject({ status: 'downloading', waitingForOutcome: true });
        expect(await visibleFiles(inbox)).toEqual([]);

        await engine.settleReceive(id, completedOutcome(update));
        const final = await engine.settled(id);
        expect(final).toMatchObject({ status: 'completed', verified: true, savedPath: join(inbox, 'awaited.bin') });
        expect(final.waitingForOutcome).toBeUndefined();
        expect(await sha256OfFile(final.savedPath!)).toBe(await sha256OfFile(path));
        expect(await readdir(inbox)).toEqual(['awaited.bin']);
        // A finished receive takes no outcome any more.
        const late = await failureOf(engine.settleReceive(id, completedOutcome(update)));
        expect(isTransferError(late, 'WRONG_STATE')).toBe(true);
        expect((late as Error).message).toMatch(/already completed/);
      } finally {
        await engine.close();
      }
    },
  );

  it(
    'an outcome that comes before the last byte is remembered across a pause and a restart, and the receiver’s re-derived SHA-256 matches it',
    { timeout: 120_000 },
    async () => {
      const { path, sent, update } = await sentFile('early.bin', 24 * MiB + 9);
      const slow = await startMediaProxy({ upstream: pair.stack.baseUrl, downloadBytesPerSecond: 6 * MiB });
      const inbox = await freshInbox(pair, 'inbox-early');
      const directory = join(pair.scratch.path, 'early-receiver');
      let engine = await openTestEngine(directory);
      try {
        const id = await receive(engine, sent.content, inbox, { awaitOutcome: true, homeserverUrl: slow.url });
        await until(() => engine.snapshot(id).bytesDone > 3 * MiB, 'some bytes');
        await engine.pause(id);
        engine.resume(id);
        await until(() => engine.snapshot(id).bytesDone > 8 * MiB, 'more bytes after the pause');
        await engine.settleReceive(id, completedOutcome(update));
        expect(engine.snapshot(id).status).toBe('downloading');
        await until(() => engine.snapshot(id).bytesDone > 12 * MiB, 'more bytes after the outcome');
        await engine.close();

        slow.options.downloadBytesPerSecond = undefined;
        engine = await openTestEngine(directory);
        engine.authorise({ homeserverUrl: slow.url, accessToken: pair.bob.accessToken });
        expect(engine.resumeInterrupted()).toEqual([id]);
        const final = await engine.settled(id);
        expect(final, JSON.stringify(final.failure)).toMatchObject({ status: 'completed', verified: true });
        expect(final.ciphertextSha256).toBe(update.ciphertextSha256);
        expect(await sha256OfFile(final.savedPath!)).toBe(await sha256OfFile(path));
        // The restarted run resumed where the checkpoint was, not from the start.
        expect(slow.downloadRanges.at(-1)).toMatch(/^bytes=[1-9]\d*-$/);
      } finally {
        await engine.close();
        await slow.close();
      }
    },
  );

  it('a download broken, paused, then broken again resumes each time near where it was, with the sender’s SHA-256', async () => {
    const { path, sent, update } = await sentFile('broken.bin', 24 * MiB + 3);
    const flaky = await startMediaProxy({
      upstream: pair.stack.baseUrl,
      downloadBytesPerSecond: 24 * MiB,
      breakNextDownloadAfter: 9 * MiB,
    });
    try {
      const id = await receive(pair.receiver, sent.content, await freshInbox(pair, 'inbox-broken'), {
        awaitOutcome: true,
        outcome: completedOutcome(update) as TransferOutcome & { kind: 'completed' },
        homeserverUrl: flaky.url,
      });
      await until(() => flaky.downloadRanges.length === 2, 'the first retry');
      await until(() => pair.receiver.snapshot(id).bytesDone > 14 * MiB, 'the retry to go on');
      await pair.receiver.pause(id);
      flaky.options.breakNextDownloadAfter = 7 * MiB;
      pair.receiver.resume(id);
      const final = await pair.receiver.settled(id);
      expect(final, JSON.stringify(final.failure)).toMatchObject({ status: 'completed', verified: true });
      expect(await sha256OfFile(final.savedPath!)).toBe(await sha256OfFile(path));
      // Each run and retry asked for the rest from a block boundary behind where the last one stopped
      // (where the digest kept a mark), never from the start.
      const starts = flaky.downloadRanges.slice(1).map((range) => Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1]));
      console.log(`resumed from ${starts.map((start) => `${(start / MiB).toFixed(2)} MiB`).join(', ')}`);
      expect(starts.length).toBe(3);
      expect(starts[0]).toBeGreaterThan(0);
      expect(starts[0]).toBeLessThan(9 * MiB);
      expect(starts[1]).toBeGreaterThan(starts[0]!);
      expect(starts[2]).toBeGreaterThan(starts[1]!);
      expect(starts[2]).toBeLessThan(starts[1]! + 7 * MiB);
    } finally {
      await flaky.close();
    }
  });

  it('an outcome that does not match fails the receive with HASH_MISMATCH and leaves nothing', async () => {
    const { sent, update } = await sentFile('mismatch.bin', 2 * MiB);
    const inbox = await freshInbox(pair, 'inbox-mismatch');
    const wrongHash = {
      ...completedOutcome(update),
      ciphertextSha256: createHash('sha256').update('x').digest('base64').replace(/=+$/, ''),
    };
    const wrongSize = { ...completedOutcome(update), size: update.bytesTotal + 1 };
    for (const outcome of [wrongHash, wrongSize]) {
      const id = await receive(pair.receiver, sent.content, inbox, { awaitOutcome: true });
      await until(() => pair.receiver.snapshot(id).waitingForOutcome === true, 'every byte to be in');
      await pair.receiver.settleReceive(id, outcome);
      const final = await pair.receiver.settled(id);
      expect(final.status).toBe('failed');
      expect(final.failure?.code).toBe('HASH_MISMATCH');
      expect(final.failure?.message).toMatch(/^"mismatch.bin" is not the file its sender uploaded/);
    }
    expect(await readdir(inbox)).toEqual([]);
  });

  it(
    'the sender’s cancel stops the download and deletes what arrived, or keeps it marked incomplete',
    { timeout: 60_000 },
    async () => {
      const { path, sent } = await sentFile('abandoned.bin', 24 * MiB);
      const slow = await startMediaProxy({ upstream: pair.stack.baseUrl, downloadBytesPerSecond: 4 * MiB });
      try {
        const dropped = await freshInbox(pair, 'inbox-dropped');
        const id = await receive(pair.receiver, sent.content, dropped, { awaitOutcome: true, homeserverUrl: slow.url });
        await until(() => pair.receiver.snapshot(id).bytesDone > 1 * MiB, 'some bytes');
        await pair.receiver.settleReceive(id, { kind: 'cancelled' });
        expect(pair.receiver.snapshot(id)).toMatchObject({ status: 'cancelled', cancelledBySender: true });
        expect(pair.receiver.snapshot(id).savedPath).toBeUndefined();
        expect(await readdir(dropped)).toEqual([]);

        const kept = await freshInbox(pair, 'inbox-kept');
        await writeFile(join(kept, 'abandoned (incomplete).bin'), 'someone else’s');
        const keptId = await receive(pair.receiver, sent.content, kept, {
          awaitOutcome: true,
          homeserverUrl: slow.url,
        });
        await until(() => pair.receiver.snapshot(keptId).bytesDone > 1 * MiB, 'some bytes');
        await pair.receiver.settleReceive(keptId, { kind: 'cancelled' }, { keepPartial: true });
        const final = pair.receiver.snapshot(keptId);
        expect(final).toMatchObject({ status: 'cancelled', cancelledBySender: true });
        expect(basename(final.savedPath!)).toBe('abandoned (incomplete) (1).bin');
        expect(await readFile(join(kept, 'abandoned (incomplete).bin'), 'utf8')).toBe('someone else’s');
        const keptBytes = await readFile(final.savedPath!);
        expect(keptBytes.length).toBeGreaterThan(0);
        expect(keptBytes.equals((await readFile(path)).subarray(0, keptBytes.length))).toBe(true);
        expect((await stat(final.savedPath!)).size).toBeLessThan(24 * MiB);
        expect(await visibleFiles(kept)).toEqual(['abandoned (incomplete) (1).bin', 'abandoned (incomplete).bin']);
        expect((await readdir(kept)).length).toBe(2);
      } finally {
        await slow.close();
      }
    },
  );

  it('a receive that failed on the vanished media takes its sender’s cancel, and no other outcome', async () => {
    const { sent, update } = await sentFile('vanished.bin', 1 * MiB);
    const content = sent.content as unknown as { file: { url: string } };
    const gone = { ...sent.content, file: { ...content.file, url: `${content.file.url}gone` } };
    const id = await receive(pair.receiver, gone, await freshInbox(pair, 'inbox-vanished'), { awaitOutcome: true });
    expect((await pair.receiver.settled(id)).status).toBe('failed');
    const completed = await failureOf(pair.receiver.settleReceive(id, completedOutcome(update)));
    expect(isTransferError(completed, 'WRONG_STATE')).toBe(true);
    await pair.receiver.settleReceive(id, { kind: 'cancelled' });
    expect(pair.receiver.snapshot(id)).toMatchObject({ status: 'cancelled', cancelledBySender: true });
    expect(pair.receiver.snapshot(id).failure).toBeUndefined();
  });

  it('settling refuses unknown transfers, sends and finished receives, in words', async () => {
    const { sent } = await sentFile('refusals.bin', 1 * MiB);
    const outcome: TransferOutcome = { kind: 'cancelled' };
    const unknown = await failureOf(pair.receiver.settleReceive('NoSuchTransfer1', outcome));
    expect(isTransferError(unknown, 'NO_SUCH_TRANSFER')).toBe(true);
    const ofSend = await failureOf(pair.sender.settleReceive(sent.transferId, outcome));
    expect(isTransferError(ofSend, 'WRONG_STATE')).toBe(true);
    expect((ofSend as Error).message).toMatch(/only a received file takes its sender’s outcome|only a received file/);
    const id = await receive(pair.receiver, sent.content, await freshInbox(pair, 'inbox-refusals'));
    expect((await pair.receiver.settled(id)).status).toBe('completed');
    expect(isTransferError(await failureOf(pair.receiver.settleReceive(id, outcome)), 'WRONG_STATE')).toBe(true);
  });

  it('noteSendEvents keeps a send’s file event and outcome event with it, across its run and a restart', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'noted.bin'), 16 * MiB);
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: 16 * MiB });
    const directory = join(pair.scratch.path, 'noting-sender');
    let engine = await openTestEngine(directory);
    try {
      const sent = await engine.send(path, {
        homeserverUrl: proxy.url,
        accessToken: pair.alice.accessToken,
        roomId: '!room:example.org',
      });
      const id = sent.transferId;
      expect(engine.snapshot(id).announced).toBeUndefined();
      // Posted while the upload runs: the run's own saves keep it.
      await engine.noteSendEvents(id, { eventId: '$file-event' });
      expect(engine.snapshot(id)).toMatchObject({
        eventId: '$file-event',
        announced: true,
        roomId: '!room:example.org',
      });
      const early = await failureOf(engine.noteSendEvents(id, { outcomeAnnounced: true }));
      expect(isTransferError(early, 'WRONG_STATE')).toBe(true);
      const final = await engine.settled(id);
      expect(final).toMatchObject({ status: 'completed', eventId: '$file-event', announced: true });
      await engine.noteSendEvents(id, { outcomeAnnounced: true });
      expect(engine.snapshot(id).outcomeAnnounced).toBe(true);
      const other = await failureOf(engine.noteSendEvents(id, { eventId: '$another' }));
      expect(isTransferError(other, 'WRONG_STATE')).toBe(true);
      await engine.close();

      engine = await openTestEngine(directory);
      expect(engine.snapshot(id)).toMatchObject({
        eventId: '$file-event',
        announced: true,
        outcomeAnnounced: true,
        roomId: '!room:example.org',
        ciphertextSha256: final.ciphertextSha256,
      });
      const receiveId = await receive(pair.receiver, sent.content, await freshInbox(pair, 'inbox-noted'));
      expect(
        isTransferError(await failureOf(pair.receiver.noteSendEvents(receiveId, { eventId: '$x' })), 'WRONG_STATE'),
      ).toBe(true);
      expect(
        isTransferError(
          await failureOf(engine.noteSendEvents('NoSuchTransfer1', { eventId: '$x' })),
          'NO_SUCH_TRANSFER',
        ),
      ).toBe(true);
    } finally {
      await engine.close();
      await proxy.close();
    }
  });
});
