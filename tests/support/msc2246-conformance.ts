import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';

/*
 * MSC2246 (asynchronous uploads) as one suite that runs against any media repository: Synapse's today,
 * Slipstream's media server later. Each rule of the MSC is one test; where an implementation departs
 * from the MSC, its caller names the difference and the test asserts the implementation's behaviour
 * instead, saying so in its name ("… differs from MSC2246: …").
 */

export interface Msc2246User {
  readonly userId: string;
  readonly accessToken: string;
}

export interface Msc2246Target {
  /** Where clients send media requests (through the reverse proxy, as deployed). */
  readonly baseUrl: string;
  /** The server name in the `mxc://` URIs this repository creates. */
  readonly serverName: string;
  /** The per-user limit on pending uploads; the suite creates this many and expects the next to fail. */
  readonly maxPendingMediaUploads: number;
  /** A fresh user with an access token valid for `baseUrl`. */
  registerUser(): Promise<Msc2246User>;
}

/** Known departures from the MSC, each with the sentence that explains it. */
export interface Msc2246Differences {
  /** The `fi.mau.msc2246` unstable endpoints are not served (404 M_UNRECOGNIZED). */
  readonly unstablePrefix?: string;
}

export interface Msc2246SuiteOptions {
  /** Who departs from the MSC, as named in test titles ("Synapse differs from MSC2246: …"). */
  readonly implementation?: string;
  readonly differences?: Msc2246Differences;
}

const CREATE = '/_matrix/media/v1/create';
const UNSTABLE_CREATE = '/_matrix/media/unstable/fi.mau.msc2246/create';
const DAY_MS = 24 * 60 * 60 * 1000;

interface MatrixReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function split(contentUri: string): { serverName: string; mediaId: string } {
  const match = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(contentUri);
  if (!match?.[1] || !match[2]) throw new Error(`not an mxc URI: ${contentUri}`);
  return { serverName: match[1], mediaId: match[2] };
}

export function describeMsc2246Conformance(
  name: string,
  getTarget: () => Promise<Msc2246Target>,
  options: Msc2246SuiteOptions = {},
): void {
  const differences = options.differences ?? {};
  const implementation = options.implementation ?? name;
  const differs = (why: string | undefined): string => (why ? ` (${implementation} differs from MSC2246: ${why})` : '');

  describe(`MSC2246 asynchronous uploads: ${name}`, () => {
    let target: Msc2246Target;
    let alice: Msc2246User;
    let bob: Msc2246User;

    beforeAll(async () => {
      target = await getTarget();
      [alice, bob] = await Promise.all([target.registerUser(), target.registerUser()]);
    });

    async function request(
      method: string,
      path: string,
      init: { token?: string | undefined; body?: string | Buffer; contentType?: string } = {},
    ): Promise<MatrixReply> {
      const headers: Record<string, string> = {};
      if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
      if (init.contentType) headers['Content-Type'] = init.contentType;
      const response = await fetch(`${target.baseUrl}${path}`, { method, headers, body: init.body ?? null });
      const text = await response.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { raw: text };
      }
      return { status: response.status, body };
    }

    const create = (user: Msc2246User, path = CREATE) =>
      request('POST', path, { token: user.accessToken, body: '{}', contentType: 'application/json' });

    async function createMedia(
      user: Msc2246User,
    ): Promise<{ contentUri: string; serverName: string; mediaId: string }> {
      const reply = await create(user);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      const contentUri = reply.body.content_uri as string;
      return { contentUri, ...split(contentUri) };
    }

    const upload = (user: Msc2246User | undefined, serverName: string, mediaId: string, bytes: Buffer) =>
      request('PUT', `/_matrix/media/v3/upload/${serverName}/${mediaId}`, {
        token: user?.accessToken,
        body: bytes,
        contentType: 'application/octet-stream',
      });

    const downloadPath = (serverName: string, mediaId: string, timeoutMs?: number) =>
      `/_matrix/client/v1/media/download/${serverName}/${mediaId}${timeoutMs === undefined ? '' : `?timeout_ms=${timeoutMs}`}`;

    async function download(user: Msc2246User, serverName: string, mediaId: string, timeoutMs?: number) {
      const response = await fetch(`${target.baseUrl}${downloadPath(serverName, mediaId, timeoutMs)}`, {
        headers: { Authorization: `Bearer ${user.accessToken}` },
      });
      return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
    }

    const errcodeOf = (bytes: Buffer): unknown => (JSON.parse(bytes.toString('utf8')) as { errcode?: unknown }).errcode;

    it('POST /create returns an mxc:// URI on this server and a future unused_expires_at in milliseconds', async () => {
      const before = Date.now();
      const reply = await create(alice);
      expect(reply.status).toBe(200);
      const { serverName, mediaId } = split(reply.body.content_uri as string);
      expect(serverName).toBe(target.serverName);
      expect(mediaId.length).toBeGreaterThan(0);
      const expiresAt = reply.body.unused_expires_at as number;
      expect(Number.isInteger(expiresAt)).toBe(true);
      expect(expiresAt).toBeGreaterThan(before);
      // A milliseconds timestamp (not seconds), and not absurdly far: the MSC recommends 24 hours.
      expect(expiresAt).toBeLessThanOrEqual(before + 7 * DAY_MS);
    });

    it('the creator uploads with PUT and every user can then download exactly those bytes', async () => {
      const media = await createMedia(alice);
      const bytes = randomBytes(64 * 1024 + 17);
      const put = await upload(alice, media.serverName, media.mediaId, bytes);
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body).toEqual({});
      for (const reader of [alice, bob]) {
        const got = await download(reader, media.serverName, media.mediaId);
        expect(got.status).toBe(200);
        expect(got.bytes.equals(bytes)).toBe(true);
      }
    });

    it('a second PUT to uploaded media is refused with 409 M_CANNOT_OVERWRITE_MEDIA and the content is kept', async () => {
      const media = await createMedia(alice);
      const original = randomBytes(1024);
      expect((await upload(alice, media.serverName, media.mediaId, original)).status).toBe(200);
      const again = await upload(alice, media.serverName, media.mediaId, randomBytes(1024));
      expect(again.status).toBe(409);
      expect(again.body.errcode).toBe('M_CANNOT_OVERWRITE_MEDIA');
      expect((await download(bob, media.serverName, media.mediaId)).bytes.equals(original)).toBe(true);
    });

    it('a PUT by a user other than the creator is refused with 403 M_FORBIDDEN', async () => {
      const media = await createMedia(alice);
      const reply = await upload(bob, media.serverName, media.mediaId, randomBytes(16));
      expect(reply.status).toBe(403);
      expect(reply.body.errcode).toBe('M_FORBIDDEN');
      // The refused PUT must not consume the media ID: the creator can still upload.
      expect((await upload(alice, media.serverName, media.mediaId, randomBytes(16))).status).toBe(200);
    });

    it('a PUT to a media ID that was never created is refused with 404 M_NOT_FOUND', async () => {
      const reply = await upload(alice, target.serverName, `never${randomBytes(8).toString('hex')}`, randomBytes(16));
      expect(reply.status).toBe(404);
      expect(reply.body.errcode).toBe('M_NOT_FOUND');
    });

    it('a PUT naming another server is refused with 404 M_NOT_FOUND (not local)', async () => {
      const media = await createMedia(alice);
      const reply = await upload(alice, 'elsewhere.example', media.mediaId, randomBytes(16));
      expect(reply.status).toBe(404);
      expect(reply.body.errcode).toBe('M_NOT_FOUND');
    });

    it('a download before the upload answers 504 M_NOT_YET_UPLOADED once timeout_ms has passed', async () => {
      const media = await createMedia(alice);
      const started = Date.now();
      const got = await download(bob, media.serverName, media.mediaId, 500);
      const waited = Date.now() - started;
      expect(got.status).toBe(504);
      expect(errcodeOf(got.bytes)).toBe('M_NOT_YET_UPLOADED');
      // It honoured the short timeout rather than the 20 s default.
      expect(waited).toBeLessThan(10_000);
    });

    it('a download started before the upload receives the file once it is uploaded', async () => {
      const media = await createMedia(alice);
      const bytes = randomBytes(32 * 1024);
      const waiting = download(bob, media.serverName, media.mediaId, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect((await upload(alice, media.serverName, media.mediaId, bytes)).status).toBe(200);
      const got = await waiting;
      expect(got.status).toBe(200);
      expect(got.bytes.equals(bytes)).toBe(true);
    });

    it('a thumbnail request before the upload also answers 504 M_NOT_YET_UPLOADED after timeout_ms', async () => {
      const media = await createMedia(alice);
      const reply = await request(
        'GET',
        `/_matrix/client/v1/media/thumbnail/${media.serverName}/${media.mediaId}?width=32&height=32&timeout_ms=500`,
        { token: bob.accessToken },
      );
      expect(reply.status).toBe(504);
      expect(reply.body.errcode).toBe('M_NOT_YET_UPLOADED');
    });

    it('a thumbnail request waiting for an image gets the thumbnail once the image is uploaded', async () => {
      const media = await createMedia(alice);
      const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#c33' } })
        .png()
        .toBuffer();
      const waiting = fetch(
        `${target.baseUrl}/_matrix/client/v1/media/thumbnail/${media.serverName}/${media.mediaId}?width=32&height=32&method=crop&timeout_ms=20000`,
        { headers: { Authorization: `Bearer ${bob.accessToken}` } },
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const put = await request('PUT', `/_matrix/media/v3/upload/${media.serverName}/${media.mediaId}`, {
        token: alice.accessToken,
        body: png,
        contentType: 'image/png',
      });
      expect(put.status).toBe(200);
      const response = await waiting;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^image\//);
      const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect([metadata.width, metadata.height]).toEqual([32, 32]);
    });

    it('the server advertises asynchronous uploads: spec v1.7 or later, or the fi.mau.msc2246 unstable feature', async () => {
      const reply = await request('GET', '/_matrix/client/versions');
      expect(reply.status).toBe(200);
      const versions = (reply.body.versions ?? []) as string[];
      const unstable = (reply.body.unstable_features ?? {}) as Record<string, boolean>;
      const minor = (version: string) => /^v1\.(\d+)$/.exec(version)?.[1];
      const hasStable = versions.some((version) => Number(minor(version) ?? -1) >= 7);
      expect(hasStable || unstable['fi.mau.msc2246'] === true).toBe(true);
    });

    it('a download of a media ID that was never created answers 404 M_NOT_FOUND without waiting', async () => {
      const started = Date.now();
      const got = await download(bob, target.serverName, `never${randomBytes(8).toString('hex')}`, 20_000);
      expect(got.status).toBe(404);
      expect(errcodeOf(got.bytes)).toBe('M_NOT_FOUND');
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('requests without an access token are refused with 401 M_MISSING_TOKEN', async () => {
      const media = await createMedia(alice);
      const replies = [
        await request('POST', CREATE, { body: '{}', contentType: 'application/json' }),
        await upload(undefined, media.serverName, media.mediaId, randomBytes(16)),
        await request('GET', downloadPath(media.serverName, media.mediaId, 0)),
      ];
      for (const reply of replies) {
        expect(reply.status).toBe(401);
        expect(reply.body.errcode).toBe('M_MISSING_TOKEN');
      }
    });

    it('requests with an unknown access token are refused with 401 M_UNKNOWN_TOKEN', async () => {
      const media = await createMedia(alice);
      const stranger = { userId: '@nobody:invalid', accessToken: 'syt_not_a_real_token' };
      const replies = [
        await create(stranger),
        await upload(stranger, media.serverName, media.mediaId, randomBytes(16)),
        await request('GET', downloadPath(media.serverName, media.mediaId, 0), { token: stranger.accessToken }),
      ];
      for (const reply of replies) {
        expect(reply.status).toBe(401);
        expect(reply.body.errcode).toBe('M_UNKNOWN_TOKEN');
      }
    });

    it('pending uploads are limited per user: past the limit /create answers 429 M_LIMIT_EXCEEDED, and an upload frees a slot', async () => {
      // A dedicated user, so the limit is reached by this test alone.
      const carol = await target.registerUser();
      const pending = [];
      for (let index = 0; index < target.maxPendingMediaUploads; index += 1) pending.push(await createMedia(carol));
      const refused = await create(carol);
      expect(refused.status).toBe(429);
      expect(refused.body.errcode).toBe('M_LIMIT_EXCEEDED');
      if ('retry_after_ms' in refused.body) expect(refused.body.retry_after_ms).toBeGreaterThan(0);
      // Other users are not affected by carol's pending uploads.
      expect((await create(bob)).status).toBe(200);
      const first = pending[0];
      if (!first) throw new Error('no pending media');
      expect((await upload(carol, first.serverName, first.mediaId, randomBytes(16))).status).toBe(200);
      expect((await create(carol)).status).toBe(200);
    });

    if (differences.unstablePrefix) {
      it(`the unstable fi.mau.msc2246 endpoints are not served${differs(differences.unstablePrefix)}`, async () => {
        // Synapse differs from MSC2246: it implements the stable endpoints only (MSC2246 is in the spec
        // since v1.7), so clients written against the unstable prefix get "unrecognised".
        const reply = await create(alice, UNSTABLE_CREATE);
        expect(reply.status).toBe(404);
        expect(reply.body.errcode).toBe('M_UNRECOGNIZED');
        const media = await createMedia(alice);
        const put = await request(
          'PUT',
          `/_matrix/media/unstable/fi.mau.msc2246/upload/${media.serverName}/${media.mediaId}`,
          {
            token: alice.accessToken,
            body: randomBytes(16),
            contentType: 'application/octet-stream',
          },
        );
        expect(put.status).toBe(404);
        expect(put.body.errcode).toBe('M_UNRECOGNIZED');
      });
    } else {
      it('the unstable fi.mau.msc2246 /create is served too', async () => {
        const reply = await create(alice, UNSTABLE_CREATE);
        expect(reply.status).toBe(200);
        expect(split(reply.body.content_uri as string).serverName).toBe(target.serverName);
      });
    }
  });
}
