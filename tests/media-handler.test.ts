import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFetchHandler } from '../main/core/http/fetch-handler-server.js';
import { createMediaHandler } from '../main/core/transfer/media-handler.js';
import type { OutgoingFile } from '../main/core/transfer/transfer-engine.js';
import { startMediaProxy } from './support/media-proxy.js';
import { freshInbox, makeSampleFile, receiveAsBob, sendOverSlowLink, useTransferPair } from './support/transfer.js';

/*
 * The media handler — `(Request) => Promise<Response>`, what Electron's protocol.handle calls and what
 * `slipstream serve-media` serves over HTTP — against the real stack. The receiving side's transfer is
 * registered without starting, so its bytes come from the server by Range, block by block, authenticated.
 */

const MiB = 1024 * 1024;
const BLOCK = 64 * 1024;
const SIZE = 4 * MiB + 12_345;

describe('the media handler', () => {
  const pair = useTransferPair('media-handler');
  let sent: OutgoingFile;
  let original: Buffer;
  let receiveId: string;
  let receiverUrl: string;
  let senderUrl: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const source = await makeSampleFile(join(pair.scratch.path, 'movie.mp4'), SIZE);
    original = await readFile(source);
    sent = await pair.sender.send(source, { homeserverUrl: pair.stack.baseUrl, accessToken: pair.alice.accessToken });
    expect((await pair.sender.settled(sent.transferId)).status).toBe('completed');
    receiveId = await pair.receiver.receive({
      event: sent.content,
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.bob.accessToken,
      destinationDir: await freshInbox(pair, 'inbox'),
      start: false,
    });
    const receiving = await serveFetchHandler(createMediaHandler(pair.receiver, { waitTimeoutMs: 30_000 }));
    const sending = await serveFetchHandler(createMediaHandler(pair.sender));
    closers.push(receiving.close, sending.close);
    receiverUrl = `${receiving.url}/transfer/${receiveId}/movie.mp4`;
    senderUrl = `${sending.url}/transfer/${sent.transferId}`;
  });

  afterAll(async () => {
    for (const close of closers) await close();
  });

  const get = (url: string, range?: string) => fetch(url, range ? { headers: { Range: range } } : {});

  it.each([
    ['the start', 0, 99],
    ['the middle, across a block boundary', 3 * BLOCK - 10, 3 * BLOCK + 10],
    ['exactly one block', 5 * BLOCK, 6 * BLOCK - 1],
    ['many blocks', 100_000, 3 * MiB],
    ['the end', SIZE - 1000, SIZE - 1],
  ])(
    'serves %s (206, Content-Range, the original bytes) from the server for a paused receive',
    async (_name, first, last) => {
      const response = await get(receiverUrl, `bytes=${first}-${last}`);
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${first}-${last}/${SIZE}`);
      expect(response.headers.get('content-length')).toBe(String(last - first + 1));
      expect(response.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await response.arrayBuffer()).equals(original.subarray(first, last + 1))).toBe(true);
    },
  );

  it('serves open and suffix ranges, and the whole file without a Range', async () => {
    const open = await get(receiverUrl, `bytes=${SIZE - 5000}-`);
    expect(open.status).toBe(206);
    expect(Buffer.from(await open.arrayBuffer()).equals(original.subarray(SIZE - 5000))).toBe(true);
    const suffix = await get(receiverUrl, 'bytes=-70000');
    expect(suffix.headers.get('content-range')).toBe(`bytes ${SIZE - 70000}-${SIZE - 1}/${SIZE}`);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(original.subarray(SIZE - 70000))).toBe(true);
    const whole = await get(receiverUrl);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(original)).toBe(true);
  });

  it('answers HEAD with the length and type, and unsatisfiable ranges with 416', async () => {
    const head = await fetch(receiverUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SIZE));
    const beyond = await get(receiverUrl, `bytes=${SIZE}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${SIZE}`);
  });

  it("serves the sender's own file for a send", async () => {
    const response = await get(senderUrl, 'bytes=1000-2000');
    expect(response.status).toBe(206);
    expect(Buffer.from(await response.arrayBuffer()).equals(original.subarray(1000, 2001))).toBe(true);
  });

  it('refuses unknown transfers and other methods', async () => {
    const base = new URL(receiverUrl).origin;
    expect((await get(`${base}/transfer/AAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await get(`${base}/elsewhere`)).status).toBe(404);
    expect((await fetch(receiverUrl, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('a range beyond what the sender has uploaded waits for it, then arrives', async () => {
    const size = 24 * MiB;
    const source = await makeSampleFile(join(pair.scratch.path, 'live.webm'), size);
    const expected = await readFile(source);
    const { proxy: slow, outgoing: live } = await sendOverSlowLink(pair, source, 8 * MiB);
    try {
      const id = await receiveAsBob(pair, live.content, await freshInbox(pair, 'inbox-live'), { start: false });
      const url = receiverUrl.replace(receiveId, id);
      const first = size - 2 * MiB;
      const asked = performance.now();
      const response = await get(url, `bytes=${first}-${size - 1}`);
      const body = Buffer.from(await response.arrayBuffer());
      // How far the upload had got when the answer was complete (PATCH bytes through the proxy).
      const uploadedAtAnswer = Math.max(...slow.patches.map((patch) => patch.offset + patch.bytes));
      console.log(
        `a range at ${(first / MiB).toFixed(0)} MiB asked for while the upload was near its start arrived after ` +
          `${((performance.now() - asked) / 1000).toFixed(1)} s`,
      );
      expect(response.status).toBe(206);
      expect(body.equals(expected.subarray(first))).toBe(true);
      expect(uploadedAtAnswer).toBeGreaterThan(first);
      await pair.sender.settled(live.transferId);
    } finally {
      await slow.close();
    }
  });

  it('never serves a tampered byte: a corrupted block fails the request instead', async () => {
    const evil = await startMediaProxy({
      upstream: pair.stack.baseUrl,
      tamper: { kind: 'flip', frame: 0, byte: 5, fixCrc: true },
    });
    try {
      // A whole-file request reads from the start, which is what the proxy rewrites.
      const viaEvil = await pair.receiver.receive({
        event: sent.content,
        homeserverUrl: evil.url,
        accessToken: pair.bob.accessToken,
        destinationDir: await freshInbox(pair, 'inbox-evil'),
      });
      const final = await pair.receiver.settled(viaEvil);
      expect(final.failure?.code).toBe('TAMPERED_BLOCK');
    } finally {
      await evil.close();
    }
  });
});
