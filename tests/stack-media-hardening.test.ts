import { randomBytes, randomInt } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MediaClient,
  slipstreamMediaUsers,
  splitContentUri,
  TUS_RESUMABLE,
  type MediaRef,
} from './support/media-client.js';
import { exchange, openRequest, type Answer, type OpenRequest } from './support/open-request.js';
import { startPrivateMediaServer, type PrivateMediaServer } from './support/private-media-server.js';
import type { StackInfo } from './support/stack.js';

/*
 * Issue 21 through nginx, as deployed beside the stack's Synapse (docs/PROTOCOL.md §4, docs/deploy.md):
 * authenticated media is not bypassed on the legacy paths, failed authentication is limited per client
 * address, a stalled body cannot hold an upload, a PATCH longer than the upload is refused before it
 * is read, and Range follows RFC 9110 §14. Settings the shared stack must not have (a short body idle
 * timeout, authenticated media off) run on a media server of the test's own behind an nginx of its own
 * with the same configuration (support/private-media-server.ts).
 */

let stack: StackInfo;
let alice: MediaClient;
let bob: MediaClient;

beforeAll(async () => {
  ({ stack, alice, bob } = await slipstreamMediaUsers());
});

/** A loopback address of this test's own (all of 127.0.0.0/8 is local): nginx passes it on. */
const ownLoopbackAddress = (): string => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

const putUrl = (base: string, media: MediaRef): string =>
  `${base}/_matrix/media/v3/upload/${media.serverName}/${media.mediaId}`;

/** Every legacy unauthenticated path a client may read media on. */
const legacyUrls = (base: string, media: MediaRef): string[] => {
  const id = `${media.serverName}/${media.mediaId}`;
  return [
    `${base}/_matrix/media/v3/download/${id}`,
    `${base}/_matrix/media/v3/download/${id}/picture.png`,
    `${base}/_matrix/media/r0/download/${id}`,
    `${base}/_matrix/media/v3/thumbnail/${id}?width=32&height=32`,
    `${base}/_matrix/media/r0/thumbnail/${id}?width=32&height=32`,
  ];
};

const picture = (): Promise<Buffer> =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: '#c63' } })
    .png()
    .toBuffer();

async function putPicture(client: MediaClient, base: string): Promise<{ media: MediaRef; png: Buffer }> {
  const png = await picture();
  const media = await client.create();
  const put = await client.request('PUT', putUrl(base, media), { 'Content-Type': 'image/png' }, png);
  expect(put.status, put.text).toBe(200);
  return { media, png };
}

const answered = (answer: Answer | { failed: string }): Answer => {
  if ('failed' in answer) throw new Error(`no answer: ${answer.failed}`);
  return answer;
};

describe('the legacy unauthenticated paths (frozen by Matrix 1.11, MSC3916)', () => {
  it("refuse this server's media, complete or still uploading, exactly as Synapse refuses its own new media, with or without a token", async () => {
    // Synapse's answer for media it created itself, through the nginx in front of Synapse alone.
    const own = await alice.request(
      'POST',
      `${stack.synapseProxyUrl}/_matrix/media/v3/upload?filename=own.png`,
      { 'Content-Type': 'image/png' },
      await picture(),
    );
    expect(own.status, own.text).toBe(200);
    const synapseMedia = splitContentUri((JSON.parse(own.text) as { content_uri: string }).content_uri);
    const synapseAnswers = await Promise.all(
      legacyUrls(stack.synapseProxyUrl, synapseMedia).map((url) => exchange(url, { method: 'GET' })),
    );
    for (const answer of synapseAnswers) {
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 404,
        body: { errcode: 'M_NOT_FOUND', error: 'Not found' },
      });
    }

    const { media: complete, png } = await putPicture(alice, stack.baseUrl);
    const uploading = await alice.create();
    await alice.declareLength(uploading, 1000);
    expect((await alice.tusPatch(uploading, 0, Buffer.alloc(400, 1))).status).toBe(204);
    const tokenQuery = `access_token=${encodeURIComponent(bob.user.accessToken)}`;
    for (const media of [complete, uploading]) {
      for (const url of legacyUrls(stack.baseUrl, media)) {
        const ways: [string, string, Record<string, string>][] = [
          ['no token', url, {}],
          ['a token', url, { Authorization: bob.authorization }],
          ['a query token', `${url}${url.includes('?') ? '&' : '?'}${tokenQuery}`, {}],
          ['an unknown token', url, { Authorization: 'Bearer not-a-token' }],
        ];
        for (const [how, target, headers] of ways) {
          const answer = await exchange(target, { method: 'GET', headers });
          expect({ how, url, status: answer.status, body: answer.json }).toEqual({
            how,
            url,
            status: synapseAnswers[0]!.status,
            body: synapseAnswers[0]!.json,
          });
        }
      }
    }

    // The authenticated paths still serve it.
    const download = await bob.download(complete);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(png)).toBe(true);
    const thumbnail = await fetch(
      `${stack.baseUrl}/_matrix/client/v1/media/thumbnail/${complete.serverName}/${complete.mediaId}?width=32&height=32`,
      { headers: { Authorization: bob.authorization } },
    );
    expect(thumbnail.status).toBe(200);
  });

  it('media this server does not own is still passed through to the homeserver', async () => {
    // Uploaded to Synapse's own media repository, as everything before the media server was deployed.
    const text = Buffer.from('stored by the homeserver itself');
    const own = await alice.request(
      'POST',
      `${stack.synapseProxyUrl}/_matrix/media/v3/upload?filename=note.txt`,
      { 'Content-Type': 'text/plain' },
      text,
    );
    const media = splitContentUri((JSON.parse(own.text) as { content_uri: string }).content_uri);
    const download = await bob.download(media);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(text)).toBe(true);
    // On a legacy path the homeserver answers for its own media, as it would without this server.
    const legacy = await exchange(legacyUrls(stack.baseUrl, media)[0]!, { method: 'GET' });
    const direct = await exchange(legacyUrls(stack.synapseProxyUrl, media)[0]!, { method: 'GET' });
    expect({ status: legacy.status, body: legacy.json }).toEqual({ status: direct.status, body: direct.json });
  });

  describe('with enableAuthenticatedMedia: false, for a homeserver that has authenticated media off', () => {
    let open: PrivateMediaServer;
    beforeAll(async () => {
      open = await startPrivateMediaServer(stack, { enableAuthenticatedMedia: false });
    });
    afterAll(() => open?.close());

    it("the legacy paths serve this server's media without a token, as before the freeze", async () => {
      const carol = new MediaClient(open.stack, alice.user);
      const { media, png } = await putPicture(carol, open.stack.baseUrl);
      const [download, named, r0, thumbnail, r0Thumbnail] = await Promise.all(
        legacyUrls(open.stack.baseUrl, media).map((url) => fetch(url)),
      );
      for (const response of [download!, named!, r0!]) {
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer()).equals(png)).toBe(true);
      }
      for (const response of [thumbnail!, r0Thumbnail!]) {
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/png');
      }
      // The authenticated paths still need a token.
      expect((await fetch(carol.downloadUrl(media))).status).toBe(401);
    });
  });
});

describe('failed authentication', () => {
  it('junk tokens from one address are limited with M_LIMIT_EXCEEDED while a valid token from there is still served', async () => {
    const address = ownLoopbackAddress();
    const config = `${stack.baseUrl}/_matrix/client/v1/media/config`;
    const ask = (authorization: string, from = address) =>
      exchange(config, { method: 'GET', localAddress: from, headers: { Authorization: authorization } });
    expect((await ask(alice.authorization)).status).toBe(200);

    const started = performance.now();
    const junk = Array.from({ length: 100 }, (_, i) => `Bearer junk-${randomBytes(8).toString('hex')}-${i}`);
    const answers = await Promise.all(junk.map((token) => ask(token)));
    const seconds = (performance.now() - started) / 1000;
    const unknown = answers.filter((answer) => answer.status === 401);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(unknown.length + limited.length).toBe(junk.length);
    // Each 401 cost the homeserver one whoami call and each 429 none: it was asked at most the burst
    // (10) and the refill (1 a second) over the run, not once per junk token.
    expect(unknown.length).toBeLessThanOrEqual(10 + Math.ceil(seconds));
    expect(limited.length).toBeGreaterThan(0);
    for (const answer of limited) {
      expect(answer.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(answer.json?.retry_after_ms).toBeGreaterThan(0);
    }

    // Meanwhile alice, whose session is in use from that address, is served as before.
    expect((await ask(alice.authorization)).status).toBe(200);
    // Another client address is not limited by this one's failures.
    expect((await ask('Bearer junk-elsewhere', ownLoopbackAddress())).status).toBe(401);
  });
});

/**
 * A PUT of 300 000 bytes by `owner` that sends the first 100 000 and then nothing more, once the server
 * has them (`reader` receives the last of them).
 */
async function stalledPut(
  owner: MediaClient,
  reader: MediaClient,
): Promise<{ media: MediaRef; body: Buffer; put: OpenRequest }> {
  const media = await owner.create();
  const body = randomBytes(300_000);
  const put = openRequest(putUrl(owner.stack.baseUrl, media), {
    method: 'PUT',
    headers: {
      Authorization: owner.authorization,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
    },
  });
  await put.write(body.subarray(0, 100_000));
  expect((await reader.download(media, { range: 'bytes=99999-99999', timeoutMs: 10_000 })).status).toBe(206);
  return { media, body, put };
}

describe('stalled bodies', () => {
  const IDLE_MS = 1_500;
  let idle: PrivateMediaServer;
  beforeAll(async () => {
    idle = await startPrivateMediaServer(stack, { limits: { bodyIdleTimeoutMs: IDLE_MS } });
  });
  afterAll(() => idle?.close());

  it('a PUT that sends nothing for the idle time is ended with 408 and keeps what it sent; tus resumes from there', async () => {
    const owner = new MediaClient(idle.stack, alice.user);
    const reader = new MediaClient(idle.stack, bob.user);
    const { media, body, put } = await stalledPut(owner, reader);
    const cut = answered(await put.answer);
    expect(cut.status).toBe(408);
    expect(cut.errcode).toBe('ORG.MATRIX.MSC4016_BODY_TIMEOUT');

    const head = await owner.tusHead(media);
    expect(head.headers.get('upload-offset')).toBe('100000');
    expect(head.headers.get('upload-length')).toBe(String(body.length));
    expect((await owner.tusPatch(media, 100_000, body.subarray(100_000))).status).toBe(204);
    const whole = await reader.download(media);
    expect(whole.bytes.equals(body)).toBe(true);
  });

  it("a PATCH by the owner takes a stalled PUT's upload over at once; the PUT is answered 409 and keeps its bytes", async () => {
    const { media, body, put } = await stalledPut(alice, bob);

    // The client resumes with tus from the offset HEAD reports; the stack's idle time is a minute, so
    // only the takeover can free the upload now. A 409 offset mismatch means the cut PUT kept more
    // than HEAD said when it was asked: HEAD again, as tus clients do.
    let reply = { status: 0, text: '' };
    for (let attempt = 0; attempt < 3 && reply.status !== 204; attempt++) {
      const offset = Number((await alice.tusHead(media)).headers.get('upload-offset'));
      reply = await alice.tusPatch(media, offset, body.subarray(offset));
      if (reply.status !== 204) expect(reply.status, reply.text).toBe(409);
    }
    expect(reply.status, reply.text).toBe(204);
    const taken = answered(await put.answer);
    expect({ status: taken.status, errcode: taken.errcode }).toEqual({
      status: 409,
      errcode: 'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS',
    });
    const whole = await bob.download(media);
    expect(whole.bytes.equals(body)).toBe(true);
  });
});

describe('declared lengths', () => {
  const patchHeaders = (client: MediaClient, extra: Record<string, string>): Record<string, string> => ({
    Authorization: client.authorization,
    'Tus-Resumable': TUS_RESUMABLE,
    'Content-Type': 'application/offset+octet-stream',
    'Upload-Offset': '0',
    ...extra,
  });

  it('a PATCH whose Content-Length runs past Upload-Length is refused with 413 before its body is sent, and nothing is kept', async () => {
    const media = await alice.create();
    await alice.declareLength(media, 1000);
    // No byte of the body is sent: the answer comes from the headers alone.
    const oversized = openRequest(alice.tusUrl(media), {
      method: 'PATCH',
      headers: patchHeaders(alice, { 'Content-Length': '1500' }),
    });
    const refused = answered(await oversized.answer);
    oversized.destroy();
    expect({ status: refused.status, errcode: refused.errcode }).toEqual({ status: 413, errcode: 'M_TOO_LARGE' });
    expect(refused.headers['tus-resumable']).toBe(TUS_RESUMABLE);
    expect((await alice.tusHead(media)).headers.get('upload-offset')).toBe('0');

    // Declaring the length in the same PATCH is checked the same way, and the length is not kept.
    const fresh = await alice.create();
    const declaring = openRequest(alice.tusUrl(fresh), {
      method: 'PATCH',
      headers: patchHeaders(alice, { 'Content-Length': '1500', 'Upload-Length': '1000' }),
    });
    expect(answered(await declaring.answer).status).toBe(413);
    declaring.destroy();
    const head = await alice.tusHead(fresh);
    expect(head.headers.get('upload-offset')).toBe('0');
    expect(head.headers.get('upload-length')).toBeNull();
    expect(head.headers.get('upload-defer-length')).toBe('1');
  });
});

describe('Range (RFC 9110 §14)', () => {
  it('a range in another unit than bytes, or several ranges, get 200 with the whole representation', async () => {
    const media = await alice.create();
    const bytes = randomBytes(100);
    expect((await alice.put(media, bytes)).status).toBe(200);
    for (const range of ['items=0-5', 'bytes=0-1,4-5']) {
      const whole = await bob.download(media, { range });
      expect({ range, status: whole.status, contentRange: whole.headers.get('content-range') }).toEqual({
        range,
        status: 200,
        contentRange: null,
      });
      expect(whole.bytes.equals(bytes)).toBe(true);
    }
    const one = await bob.download(media, { range: 'bytes=4-5' });
    expect(one.status).toBe(206);
    expect(one.bytes.equals(bytes.subarray(4, 6))).toBe(true);
  });
});
