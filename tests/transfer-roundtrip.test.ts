import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { v2FileInfo } from '../main/core/codec/file-info.js';
import { generateV2KeyMaterial } from '../main/core/codec/key-material.js';
import { encryptV2 } from '../main/core/codec/v2-codec.js';
import { MediaRepositoryClient } from '../main/core/transfer/media-repository-client.js';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { startMediaProxy } from './support/media-proxy.js';
import { freshInbox, makeSampleFile, sha256OfFile, useTransferPair } from './support/transfer.js';

/*
 * The transfer engine end to end against the real stack (Synapse, nginx, the media server): one
 * engine sends, another receives, and the received file must be the sent file, byte for byte.
 */

const MiB = 1024 * 1024;

describe('sending and receiving through the stack', () => {
  const pair = useTransferPair('roundtrip');

  async function roundTrip(size: number, format: 'v3' | 'v2' = 'v3', homeserverUrl = pair.stack.baseUrl) {
    const name = `sample-${size}-${format}.bin`;
    const source = await makeSampleFile(join(pair.scratch.path, name), size);
    const inbox = await freshInbox(pair, `inbox-${size}-${format}-${Date.now()}`);
    const started = performance.now();
    const outgoing = await pair.sender.send(source, { homeserverUrl, accessToken: pair.alice.accessToken, format });
    const announcedAfterMs = performance.now() - started;
    const receiveId = await pair.receiver.receive({
      event: outgoing.content,
      homeserverUrl,
      accessToken: pair.bob.accessToken,
      destinationDir: inbox,
    });
    const [sent, received] = await Promise.all([
      pair.sender.settled(outgoing.transferId),
      pair.receiver.settled(receiveId),
    ]);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${format} ${size} bytes: event content after ${announcedAfterMs.toFixed(0)} ms, both done in ${seconds.toFixed(2)} s` +
        (size >= 64 * MiB ? ` (${(size / seconds / 1e6).toFixed(0)} MB/s end to end)` : ''),
    );
    return { source, inbox, outgoing, sent, received };
  }

  it.each([0, 1, 10 * 1000 * 1000])('a %i-byte file arrives identical (v3)', async (size) => {
    const { source, inbox, outgoing, sent, received } = await roundTrip(size);
    expect(sent.status).toBe('completed');
    expect(received.status, JSON.stringify(received.failure)).toBe('completed');
    expect(received.savedPath).toBe(join(inbox, `sample-${size}-v3.bin`));
    expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
    expect(outgoing.content.info).toEqual({ size, mimetype: 'application/octet-stream' });
    expect(outgoing.content.file.v).toBe('org.matrix.msc4016.v3');
    expect(outgoing.content.file.url).toMatch(/^mxc:\/\//);
    // Nothing but the final file is left in the destination.
    expect(await readdir(inbox)).toEqual([`sample-${size}-v3.bin`]);
  });

  it('a 1 GiB file arrives identical (v3)', { timeout: 300_000 }, async () => {
    const { source, received, sent } = await roundTrip(1024 * MiB);
    expect(sent.status).toBe('completed');
    expect(received.status, JSON.stringify(received.failure)).toBe('completed');
    expect((await stat(received.savedPath!)).size).toBe(1024 * MiB);
    expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
  });

  it('the legacy v2 format arrives identical, checked against its SHA-256', async () => {
    const { source, outgoing, received } = await roundTrip(3 * MiB + 5, 'v2');
    expect(outgoing.content.file.v).toBe('v2');
    expect(outgoing.content.file).toHaveProperty('hashes.sha256');
    expect(received.status, JSON.stringify(received.failure)).toBe('completed');
    expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
  });

  it('works against plain Synapse, without the Slipstream media server (MSC2246 create + PUT)', async () => {
    const { source, outgoing, sent, received } = await roundTrip(5 * MiB + 3, 'v3', pair.stack.synapseProxyUrl);
    expect(sent.status, JSON.stringify(sent.failure)).toBe('completed');
    expect(pair.sender.record(outgoing.transferId)).toMatchObject({ uploadMethod: 'put' });
    expect(received.status, JSON.stringify(received.failure)).toBe('completed');
    expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
  });

  it('the receiver starts at about 10 % and has its first plaintext before the sender finishes', async () => {
    const size = 48 * MiB;
    const source = await makeSampleFile(join(pair.scratch.path, 'slow.bin'), size);
    const slow = await startMediaProxy({ upstream: pair.stack.baseUrl, uploadBytesPerSecond: 16 * MiB });
    const inbox = await freshInbox(pair, 'inbox-slow');
    try {
      const started = performance.now();
      const outgoing = await pair.sender.send(source, { homeserverUrl: slow.url, accessToken: pair.alice.accessToken });
      let senderDoneAt = Infinity;
      const sent = pair.sender.settled(outgoing.transferId).then((update) => {
        senderDoneAt = performance.now();
        return update;
      });
      await waitUntil(() => pair.sender.snapshot(outgoing.transferId).bytesDone >= size / 10);
      const senderProgressAtStart = pair.sender.snapshot(outgoing.transferId).bytesDone / size;
      const receiverStartedAt = performance.now();
      let firstPlaintextAt: number | undefined;
      const unsubscribe = pair.receiver.subscribe((update: TransferUpdate) => {
        if (firstPlaintextAt === undefined && update.direction === 'receive' && update.bytesDone > 0) {
          firstPlaintextAt = performance.now();
        }
      });
      const receiveId = await pair.receiver.receive({
        event: outgoing.content,
        homeserverUrl: pair.stack.baseUrl,
        accessToken: pair.bob.accessToken,
        destinationDir: inbox,
      });
      const [sentUpdate, received] = await Promise.all([sent, pair.receiver.settled(receiveId)]);
      unsubscribe();
      console.log(
        `receiver started with the sender at ${(senderProgressAtStart * 100).toFixed(0)} %; first plaintext ` +
          `${(firstPlaintextAt! - receiverStartedAt).toFixed(0)} ms later, ` +
          `${((senderDoneAt - firstPlaintextAt!) / 1000).toFixed(1)} s before the sender finished ` +
          `(upload throttled to 16 MiB/s; ${((performance.now() - started) / 1000).toFixed(1)} s in all)`,
      );
      expect(sentUpdate.status).toBe('completed');
      expect(received.status, JSON.stringify(received.failure)).toBe('completed');
      expect(firstPlaintextAt).toBeDefined();
      expect(firstPlaintextAt!).toBeLessThan(senderDoneAt);
      expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
    } finally {
      await slow.close();
    }
  });

  it('never clobbers an existing file: the received one gets a numbered name', async () => {
    const source = await makeSampleFile(join(pair.scratch.path, 'report.pdf'), 1000);
    const inbox = await freshInbox(pair, 'inbox-clobber');
    await writeFile(join(inbox, 'report.pdf'), 'already here');
    const outgoing = await pair.sender.send(source, {
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
    });
    expect(outgoing.content.info.mimetype).toBe('application/pdf');
    const id = await pair.receiver.receive({
      event: { ...outgoing.content, body: '../../report.pdf', filename: '../../report.pdf' },
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.bob.accessToken,
      destinationDir: inbox,
    });
    const received = await pair.receiver.settled(id);
    expect(received.savedPath).toBe(join(inbox, 'report (1).pdf'));
    expect((await readdir(inbox)).sort()).toEqual(['report (1).pdf', 'report.pdf']);
  });

  it('receives a v2 attachment uploaded the way Element does it: encrypted whole, one-shot POST', async () => {
    const plaintext = await readFile(await makeSampleFile(join(pair.scratch.path, 'element.png'), 3 * MiB + 1));
    const keys = generateV2KeyMaterial();
    const encryption = encryptV2([plaintext], keys);
    const pieces: Buffer[] = [];
    for await (const piece of encryption.ciphertext) pieces.push(piece);
    const client = new MediaRepositoryClient({
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
    });
    const created = await client.postUpload(
      [Buffer.concat(pieces)],
      plaintext.length,
      'application/octet-stream',
      undefined,
    );
    const event = {
      msgtype: 'm.image',
      body: 'element.png',
      file: { ...v2FileInfo(keys, await encryption.sha256), url: created.contentUri },
      info: { size: plaintext.length, mimetype: 'image/png' },
    };
    const id = await pair.receiver.receive({
      event,
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.bob.accessToken,
      destinationDir: await freshInbox(pair, 'inbox-element'),
    });
    const received = await pair.receiver.settled(id);
    expect(received.status, JSON.stringify(received.failure)).toBe('completed');
    expect(received.mimetype).toBe('image/png');
    expect((await readFile(received.savedPath!)).equals(plaintext)).toBe(true);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
