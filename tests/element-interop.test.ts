import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decryptAttachment, encryptAttachment } from 'matrix-encrypt-attachment/lib/webcrypto.js';
import { parseMxcUri } from '../shared/matrix/mxc.js';
import { createMediaHandler } from '../main/core/transfer/media-handler.js';
import { MediaRepositoryClient } from '../main/core/transfer/media-repository-client.js';
import { collect } from './support/codec.js';
import { freshInbox, makeSampleFile, sha256OfFile, useTransferPair } from './support/transfer.js';

/*
 * Files as every other Matrix client sends and reads them, against the real stack: Element's v2
 * attachments (matrix-encrypt-attachment's WebCrypto code, what Element Web and Desktop run, with a
 * one-shot POST of the whole ciphertext), and plain `url` files from unencrypted rooms. Slipstream's
 * v2 sends must decrypt there; their uploads must be received here.
 */

const MiB = 1024 * 1024;

/** A copy of the bytes in an ArrayBuffer of their own, as the browser APIs take them. */
const arrayBufferOf = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer;

describe('interoperating with Element’s attachments', () => {
  const pair = useTransferPair('element');

  // matrix-encrypt-attachment's browser code reaches WebCrypto and btoa through `window`.
  beforeAll(() => vi.stubGlobal('window', globalThis));
  afterAll(() => vi.unstubAllGlobals());

  function bobsClient(): MediaRepositoryClient {
    return new MediaRepositoryClient({ homeserverUrl: pair.stack.baseUrl, accessToken: pair.bob.accessToken });
  }

  /** Uploads bytes the way Element does: one POST /_matrix/media/v3/upload of the whole body. */
  async function postAsElement(bytes: Uint8Array, contentType: string): Promise<string> {
    const alices = new MediaRepositoryClient({
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
    });
    return (await alices.postUpload([bytes], bytes.length, contentType, undefined)).contentUri;
  }

  it('a v2 file Slipstream sent decrypts with matrix-encrypt-attachment to the file', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'for-element.bin'), 3 * MiB + 11);
    const sent = await pair.sender.send(path, {
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.alice.accessToken,
      format: 'v2',
    });
    expect((await pair.sender.settled(sent.transferId)).status).toBe('completed');
    const { file } = sent.content;
    const response = await bobsClient().download(parseMxcUri(file.url!), { timeoutMs: 20_000 });
    const ciphertext = await collect(response.body);
    const plaintext = await decryptAttachment(
      arrayBufferOf(ciphertext),
      file as unknown as Parameters<typeof decryptAttachment>[1],
    );
    expect(Buffer.from(plaintext).equals(await readFile(path))).toBe(true);
  });

  it('a file Element encrypted and uploaded in one POST is received, verified and identical', async () => {
    const original = randomBytes(2 * MiB + 3);
    const { data, info } = await encryptAttachment(arrayBufferOf(original));
    const url = await postAsElement(new Uint8Array(data), 'application/octet-stream');
    // The event content as Element posts it in an encrypted room.
    const content = {
      msgtype: 'm.file',
      body: 'report.pdf',
      file: { ...info, url },
      info: { size: original.length, mimetype: 'application/pdf' },
    };
    const inbox = await freshInbox(pair, 'inbox-element');
    const id = await pair.receiver.receive({
      event: content,
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.bob.accessToken,
      destinationDir: inbox,
    });
    const received = await pair.receiver.settled(id);
    expect(received, JSON.stringify(received.failure)).toMatchObject({
      status: 'completed',
      verified: true,
      savedPath: join(inbox, 'report.pdf'),
      ciphertextSha256: info.hashes!.sha256,
    });
    expect((await readFile(received.savedPath!)).equals(original)).toBe(true);
  });

  it('a plain file from an unencrypted room (a top-level url) is received as it is, and marked unencrypted', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'notes.txt'), 1 * MiB + 1);
    const bytes = await readFile(path);
    const url = await postAsElement(bytes, 'text/plain');
    const content = { msgtype: 'm.file', body: 'notes.txt', url, info: { size: bytes.length, mimetype: 'text/plain' } };

    // Watched before it is saved: the media handler serves a range of it straight from the server.
    const id = await pair.receiver.receive({
      event: content,
      homeserverUrl: pair.stack.baseUrl,
      accessToken: pair.bob.accessToken,
      destinationDir: await freshInbox(pair, 'inbox-plain'),
      start: false,
    });
    const handler = createMediaHandler(pair.receiver);
    const ranged = await handler(
      new Request(`http://127.0.0.1/transfer/${id}/notes.txt`, { headers: { Range: 'bytes=1000-1999' } }),
    );
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);

    pair.receiver.resume(id);
    const received = await pair.receiver.settled(id);
    expect(received, JSON.stringify(received.failure)).toMatchObject({ status: 'completed', unencrypted: true });
    expect(received.verified).toBeUndefined();
    expect(received.ciphertextSha256).toBe(createHash('sha256').update(bytes).digest('base64').replace(/=+$/, ''));
    expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(path));
  });
});
