import { decryptAttachment } from 'matrix-encrypt-attachment/lib/webcrypto.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadThumbnail, ThumbnailCache, type ThumbnailDownloadClient } from './thumbnail-download';
import { thumbnailOf } from './thumbnail-source';
import { uploadThumbnail, type ThumbnailUploadClient } from './thumbnail-upload';

/*
 * A thumbnail's way out and back, with the real matrix-encrypt-attachment and fakes of the homeserver:
 * what is uploaded is what Element uploads, and what a receiver shows is only ever the sender's bytes.
 */

// matrix-encrypt-attachment's browser build reaches WebCrypto and btoa through `window`.
beforeAll(() => vi.stubGlobal('window', globalThis));
afterAll(() => vi.unstubAllGlobals());

const JPEG = new Uint8Array([
  0xff,
  0xd8,
  0xff,
  0xe0,
  ...Array.from({ length: 3000 }, (_, index) => index % 251),
  0xff,
  0xd9,
]);
const image = { blob: new Blob([JPEG], { type: 'image/jpeg' }), width: 800, height: 450, mimetype: 'image/jpeg' };

/** A homeserver that keeps uploads, and a client of it in a room that is encrypted or not. */
function fakeHomeserver(encrypted: boolean) {
  const uploads: { body: Blob; type: string | undefined; includeFilename: boolean | undefined }[] = [];
  const client = {
    getRoom: () => ({ hasEncryptionStateEvent: () => encrypted }),
    getCrypto: () => ({ isEncryptionEnabledInRoom: async () => encrypted }),
    uploadContent: async (body: Blob, options: { type?: string; includeFilename?: boolean }) => {
      uploads.push({ body, type: options.type, includeFilename: options.includeFilename });
      return { content_uri: `mxc://localhost/upload${uploads.length}` };
    },
    mxcUrlToHttp: (mxc: string, ...rest: unknown[]) => {
      expect(rest).toEqual([undefined, undefined, undefined, false, true, true]);
      return `https://hs.example/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}?allow_redirect=true`;
    },
    getAccessToken: () => 'secret-token',
  };
  const served = (replace?: (bytes: Uint8Array) => Uint8Array) =>
    vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer secret-token');
      const index = Number(/upload(\d+)/.exec(String(url))![1]) - 1;
      const bytes = new Uint8Array(await uploads[index]!.body.arrayBuffer());
      return new Response(new Uint8Array(replace ? replace(bytes) : bytes));
    });
  return { client: client as unknown as ThumbnailUploadClient & ThumbnailDownloadClient, uploads, served };
}

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

describe('a thumbnail’s upload and download', () => {
  it('in an encrypted room, uploads v2 ciphertext as an anonymous octet stream that decrypts to the image', async () => {
    const server = fakeHomeserver(true);
    const uploaded = await uploadThumbnail(server.client, '!room', image, new AbortController().signal);
    expect(server.uploads).toHaveLength(1);
    expect(server.uploads[0]).toMatchObject({ type: 'application/octet-stream', includeFilename: false });
    expect(uploaded).toMatchObject({ width: 800, height: 450, mimetype: 'image/jpeg', size: JPEG.length });
    if (uploaded.location.kind !== 'encrypted') throw new Error('expected thumbnail_file');
    const { file } = uploaded.location;
    expect(file).toMatchObject({ v: 'v2', url: 'mxc://localhost/upload1', key: { alg: 'A256CTR' } });
    const ciphertext = await bytesOf(server.uploads[0]!.body);
    expect(ciphertext).not.toEqual(JPEG);
    expect(new Uint8Array(await decryptAttachment(ciphertext.buffer, file))).toEqual(JPEG);
  });

  it('in a room without encryption, uploads the image itself', async () => {
    const server = fakeHomeserver(false);
    const uploaded = await uploadThumbnail(server.client, '!room', image, new AbortController().signal);
    expect(uploaded.location).toEqual({ kind: 'plain', url: 'mxc://localhost/upload1' });
    expect(server.uploads[0]).toMatchObject({ type: 'image/jpeg', includeFilename: false });
    expect(await bytesOf(server.uploads[0]!.body)).toEqual(JPEG);
  });

  it('a receiver downloads with its access token and decrypts to the sender’s image', async () => {
    const server = fakeHomeserver(true);
    const uploaded = await uploadThumbnail(server.client, '!room', image, new AbortController().signal);
    const content = {
      info: {
        thumbnail_file: (uploaded.location as { file: unknown }).file,
        thumbnail_info: { mimetype: 'image/jpeg' },
      },
    };
    const fetched = server.served();
    const blob = await downloadThumbnail(server.client, thumbnailOf(content).source!, fetched);
    expect(fetched).toHaveBeenCalledTimes(1);
    expect(String(fetched.mock.calls[0]![0])).toMatch(/\/_matrix\/client\/v1\/media\/download\/localhost\/upload1/);
    expect(blob.type).toBe('image/jpeg');
    expect(await bytesOf(blob)).toEqual(JPEG);
  });

  it('refuses ciphertext whose SHA-256 is not the event’s, and a body too large to be a thumbnail', async () => {
    const server = fakeHomeserver(true);
    const uploaded = await uploadThumbnail(server.client, '!room', image, new AbortController().signal);
    const source = thumbnailOf({ info: { thumbnail_file: (uploaded.location as { file: unknown }).file } }).source!;
    const flipped = server.served((bytes) => bytes.map((byte, index) => (index === 10 ? byte ^ 1 : byte)));
    await expect(downloadThumbnail(server.client, source, flipped)).rejects.toThrow(/SHA-256/);
    const huge = vi.fn(
      async () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.enqueue(new Uint8Array(1024 * 1024));
            },
          }),
        ),
    );
    await expect(downloadThumbnail(server.client, source, huge)).rejects.toThrow(/too large/);
  });

  it('a plain thumbnail_url is downloaded as it is', async () => {
    const server = fakeHomeserver(false);
    const uploaded = await uploadThumbnail(server.client, '!room', image, new AbortController().signal);
    const source = thumbnailOf({ info: { thumbnail_url: (uploaded.location as { url: string }).url } }).source!;
    expect(await bytesOf(await downloadThumbnail(server.client, source, server.served()))).toEqual(JPEG);
  });

  it('a homeserver’s refusal is a failure, not an image', async () => {
    const server = fakeHomeserver(false);
    const source = thumbnailOf({ info: { thumbnail_url: 'mxc://localhost/gone' } }).source!;
    const notFound = vi.fn(async () => new Response('{"errcode":"M_NOT_FOUND"}', { status: 404 }));
    await expect(downloadThumbnail(server.client, source, notFound)).rejects.toThrow(/404/);
  });
});

describe('the page’s thumbnail cache', () => {
  it('loads each thumbnail once, however many cards show it', async () => {
    const cache = new ThumbnailCache(10);
    const load = vi.fn(async () => new Blob(['a']));
    const [first, second] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect(first).toBe(second);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('forgets a failed load, so a later card tries again', async () => {
    const cache = new ThumbnailCache(10);
    await expect(cache.get('k', () => Promise.reject(new Error('offline')))).rejects.toThrow('offline');
    const retried = vi.fn(async () => new Blob(['a']));
    await cache.get('k', retried);
    expect(retried).toHaveBeenCalledTimes(1);
  });

  it('keeps the most recently used, up to its limit', async () => {
    const cache = new ThumbnailCache(2);
    const load = vi.fn(async () => new Blob(['a']));
    await cache.get('a', load);
    await cache.get('b', load);
    await cache.get('a', load);
    await cache.get('c', load);
    expect(load).toHaveBeenCalledTimes(3);
    await cache.get('a', load);
    expect(load).toHaveBeenCalledTimes(3);
    await cache.get('b', load);
    expect(load).toHaveBeenCalledTimes(4);
  });
});
