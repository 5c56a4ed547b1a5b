import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import * as tus from 'tus-js-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaClient, slipstreamMediaUsers, sleep, TUS_RESUMABLE, type MediaRef } from './support/media-client.js';
import type { StackInfo } from './support/stack.js';

/*
 * tus 1.0.0 conformance of the media server (docs/PROTOCOL.md §4.2) with the reference client,
 * tus-js-client, through the stack's nginx as deployed.
 *
 * The media ID from /create is the tus upload, so there is no creation request: each tus.Upload is
 * given `uploadUrl` and starts by resuming it (HEAD, then PATCHes). tus-js-client 4 refuses to resume
 * an upload whose HEAD has no Upload-Length unless `uploadLengthDeferred` is set, and with that option it
 * declares the length only on its last PATCH — so readers would not know the length until the very end.
 * These tests therefore declare the length first, with one raw PATCH of zero bytes carrying
 * `Upload-Length` (creation-defer-length allows it on any PATCH), exactly as a Slipstream sender that
 * knows its ciphertext size would; from then on the HEAD reports Upload-Length and tus-js-client runs
 * in its ordinary mode. One test also covers `uploadLengthDeferred`, the mode for unknown lengths.
 */

interface TusRun {
  readonly upload: tus.Upload;
  readonly finished: Promise<void>;
}

describe('tus 1.0.0 with tus-js-client, through nginx', () => {
  let stack: StackInfo;
  let alice: MediaClient;
  let bob: MediaClient;

  beforeAll(async () => {
    ({ stack, alice, bob } = await slipstreamMediaUsers());
  });

  function startTus(
    client: MediaClient,
    media: MediaRef,
    source: Buffer | PassThrough,
    options: Partial<tus.UploadOptions> = {},
  ): TusRun {
    let upload!: tus.Upload;
    const finished = new Promise<void>((resolve, reject) => {
      upload = new tus.Upload(source, {
        uploadUrl: client.tusUrl(media),
        headers: { Authorization: client.authorization },
        chunkSize: 256 * 1024,
        // 409 (offset moved on) and 423 are retried by tus-js-client, which HEADs again first.
        retryDelays: [100, 300, 1000, 2000],
        ...options,
        onSuccess: () => resolve(),
        onError: (error) => reject(error),
      });
      upload.start();
    });
    return { upload, finished };
  }

  it('uploads a whole file and the authenticated download returns exactly its bytes', async () => {
    const media = await alice.create();
    const bytes = randomBytes(1024 * 1024 + 4321);
    await alice.declareLength(media, bytes.length);
    const started = performance.now();
    await startTus(alice, media, bytes).finished;
    console.log(`tus-js-client: ${bytes.length} bytes in ${(performance.now() - started).toFixed(0)} ms`);

    const head = await alice.tusHead(media);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(head.headers.get('upload-length')).toBe(String(bytes.length));
    const got = await bob.download(media);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-length')).toBe(String(bytes.length));
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('with uploadLengthDeferred, the length declared on the last PATCH completes the upload', async () => {
    const media = await alice.create();
    const bytes = randomBytes(600 * 1024 + 3);
    await startTus(alice, media, bytes, { uploadLengthDeferred: true, chunkSize: 200 * 1024 }).finished;
    const got = await bob.download(media);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  /** Polls HEAD until the offset stops moving (the aborted PATCH has been wound up by the server). */
  async function settledOffset(client: MediaClient, media: MediaRef): Promise<number> {
    let previous = -1;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const head = await client.tusHead(media);
      expect(head.status).toBe(200);
      const offset = Number(head.headers.get('upload-offset'));
      if (offset === previous) return offset;
      previous = offset;
      await sleep(200);
    }
    throw new Error('the upload offset never settled');
  }

  it('an upload aborted mid-way resumes from HEAD with a new tus.Upload on the same URL', async () => {
    const media = await alice.create();
    const bytes = randomBytes(3 * 1024 * 1024 + 99);
    await alice.declareLength(media, bytes.length);

    let aborted!: () => void;
    const abortCalled = new Promise<void>((resolve) => (aborted = resolve));
    const first = startTus(alice, media, bytes, {
      chunkSize: 512 * 1024,
      onProgress: (sent) => {
        if (sent < 1200 * 1024) return;
        void first.upload.abort().then(aborted);
      },
    });
    first.finished.catch(() => undefined);
    await abortCalled;
    const offset = await settledOffset(alice, media);
    console.log(`tus-js-client aborted after 1.2 MiB sent; HEAD reports Upload-Offset ${offset} of ${bytes.length}`);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(bytes.length);

    const patchOffsets: (string | undefined)[] = [];
    await startTus(alice, media, bytes, {
      chunkSize: 512 * 1024,
      onBeforeRequest: (req) => {
        if (req.getMethod() === 'PATCH') patchOffsets.push(req.getHeader('Upload-Offset'));
      },
    }).finished;
    // The new upload continued from the server's offset: it did not start again from 0.
    expect(patchOffsets[0]).toBe(String(offset));
    const got = await bob.download(media);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('a PATCH at the wrong Upload-Offset is refused with 409 and changes nothing', async () => {
    const media = await alice.create();
    const bytes = randomBytes(64 * 1024);
    expect((await alice.tusPatch(media, 0, bytes.subarray(0, 1000), bytes.length)).status).toBe(204);
    for (const wrong of [0, 999, 1001, 5000]) {
      const reply = await alice.tusPatch(media, wrong, bytes.subarray(wrong, wrong + 100));
      expect(reply.status, `Upload-Offset ${wrong}: ${reply.text}`).toBe(409);
      // A Matrix JSON error, labelled as one (not the text/plain @tus/server gives every error body).
      expect(reply.headers.get('content-type')).toBe('application/json');
      expect(reply.errcode).toBe('ORG.MATRIX.MSC4016_OFFSET_MISMATCH');
      expect(reply.headers.get('tus-resumable')).toBe('1.0.0');
    }
    const head = await alice.tusHead(media);
    expect(head.headers.get('upload-offset')).toBe('1000');
    // The right offset is still accepted, and the file is intact.
    const rest = await alice.tusPatch(media, 1000, bytes.subarray(1000));
    expect(rest.status).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(bytes.length));
    expect((await bob.download(media)).bytes.equals(bytes)).toBe(true);
  });

  it('termination (upload.abort(true)) aborts a reader following the upload, then HEAD and GET answer 404', async () => {
    const media = await alice.create();
    const total = 1024 * 1024;
    const chunk = 64 * 1024;
    await alice.declareLength(media, total);
    // A source that supplies three chunks and then stalls, as a sender would while encrypting.
    const source = new PassThrough();
    const bytes = randomBytes(total);
    source.write(bytes.subarray(0, 3 * chunk));
    let acknowledged = 0;
    const run = startTus(alice, media, source, {
      chunkSize: chunk,
      uploadSize: total,
      onChunkComplete: (_size, accepted) => {
        acknowledged = accepted;
      },
    });
    run.finished.catch(() => undefined);

    const reader = bob.read(media, { timeoutMs: 10_000 });
    await reader.firstByte;
    for (let waited = 0; acknowledged < 3 * chunk && waited < 10_000; waited += 50) await sleep(50);
    expect(acknowledged).toBe(3 * chunk);
    await run.upload.abort(true);

    const result = await reader.done;
    expect(result.status).toBe(200);
    expect(result.headers['content-length']).toBe(String(total));
    expect(result.outcome).toBe('aborted');
    expect(result.body.length).toBeLessThan(total);
    expect(result.body.equals(bytes.subarray(0, result.body.length))).toBe(true);

    const head = await alice.tusHead(media);
    expect(head.status).toBe(404);
    const get = await bob.download(media, { timeoutMs: 0 });
    expect(get.status).toBe(404);
    expect(get.errcode).toBe('M_NOT_FOUND');
    // A resume after termination fails rather than recreating the upload.
    await expect(startTus(alice, media, bytes, { retryDelays: [] }).finished).rejects.toThrow();
  });

  it('a raw DELETE terminates: later HEAD, PATCH and GET answer 404', async () => {
    const media = await alice.create();
    expect((await alice.tusPatch(media, 0, randomBytes(5000), 10_000)).status).toBe(204);
    const deleted = await alice.tusDelete(media);
    expect(deleted.status).toBe(204);
    expect((await alice.tusHead(media)).status).toBe(404);
    expect((await alice.tusPatch(media, 5000, randomBytes(10))).status).toBe(404);
    expect((await alice.download(media, { timeoutMs: 0 })).status).toBe(404);
  });

  it('OPTIONS advertises Tus-Version 1.0.0, the extensions and Tus-Max-Size', async () => {
    const media = await alice.create();
    const response = await fetch(alice.tusUrl(media), { method: 'OPTIONS' });
    expect(response.status).toBeLessThan(300);
    expect(
      response.headers
        .get('tus-version')
        ?.split(',')
        .map((v) => v.trim()),
    ).toContain('1.0.0');
    const extensions = (response.headers.get('tus-extension') ?? '').split(',').map((e) => e.trim());
    expect(extensions).toEqual(expect.arrayContaining(['creation-defer-length', 'termination']));
    expect(Number(response.headers.get('tus-max-size'))).toBeGreaterThan(0);
    // The same extensions are advertised to Matrix clients in the media config (§4.1).
    const config = await alice.request('GET', `${stack.baseUrl}/_matrix/client/v1/media/config`);
    const tusConfig = (JSON.parse(config.text) as Record<string, { tus?: { version: string; extensions: string[] } }>)[
      'org.matrix.msc4016'
    ]?.tus;
    expect(tusConfig?.version).toBe('1.0.0');
    expect([...(tusConfig?.extensions ?? [])].sort()).toEqual([...extensions].sort());
  });

  it("another user's PATCH, HEAD and DELETE are refused with 403 M_FORBIDDEN; tus-js-client fails", async () => {
    const media = await alice.create();
    const bytes = randomBytes(10_000);
    expect((await alice.tusPatch(media, 0, bytes.subarray(0, 100), bytes.length)).status).toBe(204);

    const patch = await bob.tusPatch(media, 100, bytes.subarray(100));
    expect(patch.status).toBe(403);
    expect(patch.errcode).toBe('M_FORBIDDEN');
    expect(patch.headers.get('content-type')).toBe('application/json');
    expect((await bob.tusDelete(media)).status).toBe(403);
    const error = await startTus(bob, media, bytes, { retryDelays: [] }).finished.then(
      () => undefined,
      (cause: unknown) => cause,
    );
    expect(error).toBeInstanceOf(tus.DetailedError);
    expect((error as tus.DetailedError).originalResponse?.getStatus()).toBe(403);

    // Nothing changed: the creator continues from where she was.
    expect((await alice.tusHead(media)).headers.get('upload-offset')).toBe('100');
    expect((await alice.tusPatch(media, 100, bytes.subarray(100))).status).toBe(204);
    expect((await bob.download(media)).bytes.equals(bytes)).toBe(true);
  });

  it('requests without Tus-Resumable or with no token are refused', async () => {
    const media = await alice.create();
    const noVersion = await alice.request('HEAD', alice.tusUrl(media));
    expect(noVersion.status).toBe(412);
    const anonymous = await fetch(alice.tusUrl(media), { method: 'HEAD', headers: { 'Tus-Resumable': TUS_RESUMABLE } });
    expect(anonymous.status).toBe(401);
  });
});
