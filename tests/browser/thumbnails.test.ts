import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClientEvent, createClient, type MatrixClient } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { decryptAttachment, encryptAttachment } from 'matrix-encrypt-attachment';
import type { Browser, Locator } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { connectToHost } from '../support/browser-host.js';
import { type MediaProxy, startMediaProxy } from '../support/media-proxy.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from '../support/stack.js';
import {
  chooseAndSend,
  createRoomInUi,
  fileCard,
  type Person,
  progressBar,
  progressMax,
  progressValue,
  roomMessages,
  screenshot,
  startPerson,
  keepFailureEvidence,
  acceptInvitation,
} from './app-harness.js';

/*
 * Thumbnails, two people and another Matrix client on the real stack. Alice sends a video that opens
 * on a second of black, and a photo, on a slow uplink (tests/support/media-proxy.ts); Bob, who
 * downloads nothing on his own here, sees each thumbnail in the file's card while the file is still
 * Alice's alone. Erin is "another client": matrix-js-sdk with its Rust crypto in Node, in the same
 * encrypted room, reading the events as Element would — the fields, and a thumbnail that decrypts
 * with matrix-encrypt-attachment to a picture that is not black. And a photo Erin posts the way
 * Element does shows its thumbnail in Bob's card.
 */

const run = promisify(execFile);
const KB = 1024;
const TIMEOUT_MS = 300_000;
const ROOM = 'Location scouting';
const VIDEO = 'opening-shot.mp4';
const PHOTO = 'harbour.jpg';
const POSTCARD = 'postcard.jpg';
/** Alice's uplink: her files take tens of seconds, her thumbnails (tens of KB) a fraction of one. */
const ALICES_UPLINK = 200 * KB;

/** Rec. 601 luma of an image's mean colour, as frame-choice.ts measures a frame. */
async function meanLumaOf(image: Buffer): Promise<number> {
  const { channels } = await sharp(image).stats();
  const [r, g, b] = channels.map((channel) => channel.mean);
  return 0.299 * r! + 0.587 * g! + 0.114 * b!;
}

/** RGB pixels of one colour, each channel off by up to ±30 at random. */
function grainy(width: number, height: number, colour: readonly [number, number, number]): Buffer {
  const noise = randomBytes(width * height * 3);
  return Buffer.from(noise.map((byte, index) => Math.max(0, Math.min(255, colour[index % 3]! + (byte % 61) - 30))));
}

/**
 * The pixels an <img> in the page shows, as PNG: drawn on a canvas in the page (the page's CSP keeps
 * its blob: URLs from being fetched, and rightly so).
 */
async function shownPixels(image: Locator): Promise<Buffer> {
  const dataUrl = await image.evaluate((element) => {
    const picture = element as unknown as { naturalWidth: number; naturalHeight: number };
    const page = globalThis as unknown as {
      document: { createElement(name: 'canvas'): PageCanvas };
    };
    interface PageCanvas {
      width: number;
      height: number;
      getContext(kind: '2d'): { drawImage(image: unknown, x: number, y: number): void };
      toDataURL(type: string): string;
    }
    const canvas = page.document.createElement('canvas');
    canvas.width = picture.naturalWidth;
    canvas.height = picture.naturalHeight;
    canvas.getContext('2d').drawImage(element, 0, 0);
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** Whether two encoded images show the same picture: same size, every channel within a decoder's rounding. */
async function samePicture(shown: Buffer, expected: Buffer): Promise<boolean> {
  const [a, b] = await Promise.all(
    [shown, expected].map((image) => sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
  );
  if (a!.info.width !== b!.info.width || a!.info.height !== b!.info.height) return false;
  let difference = 0;
  for (let index = 0; index < a!.data.length; index++) difference += Math.abs(a!.data[index]! - b!.data[index]!);
  return difference / a!.data.length < 2;
}

/** The thumbnail in a file's card: an image drawn from a blob: URL (the hook's decrypted thumbnail). */
const thumbnailIn = (card: Locator) => card.locator('img[src^="blob:"]');

/** matrix-js-sdk 43 uses Promise.withResolvers, which Node has from 22 on (the renderer's Chromium has it). */
function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** A client as Element runs it: matrix-js-sdk with its Rust crypto (keys in memory), syncing. */
async function otherClient(stack: StackInfo, user: MatrixUser): Promise<MatrixClient> {
  if (!('withResolvers' in Promise)) Object.assign(Promise, { withResolvers });
  // Quiet, but for errors: the client's own logger below, and the library-wide one some modules use.
  (sdkLogger as unknown as { setLevel(level: 'error'): void }).setLevel('error');
  const { device_id: deviceId } = (await fetch(`${stack.baseUrl}/_matrix/client/v3/account/whoami`, {
    headers: { Authorization: `Bearer ${user.accessToken}` },
  }).then((response) => response.json())) as { device_id: string };
  const silent = () => undefined;
  const logger = {
    trace: silent,
    debug: silent,
    info: silent,
    warn: silent,
    error: console.error,
    getChild: () => logger,
  };
  const client = createClient({
    baseUrl: stack.baseUrl,
    accessToken: user.accessToken,
    userId: user.userId,
    deviceId,
    logger,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  const synced = new Promise((resolve) => client.once(ClientEvent.Sync, resolve));
  await client.startClient({ initialSyncLimit: 20 });
  await synced;
  return client;
}

/** What `read` gives once it gives something (polled; for hooks, where expect.poll is not allowed). */
async function until<T>(read: () => T | undefined, timeout = 60_000): Promise<T> {
  for (const started = performance.now(); performance.now() - started < timeout;) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`nothing after ${timeout / 1000} s`);
}

/** A message's content as another client reads it once decrypted, found by its file name. */
async function contentIn(client: MatrixClient, roomId: string, fileName: string): Promise<Record<string, unknown>> {
  let content: Record<string, unknown> | undefined;
  await expect
    .poll(
      () => {
        const events = client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
        content = events
          .filter((event) => event.getType() === 'm.room.message' && !event.isDecryptionFailure())
          .map((event) => event.getContent())
          .find((candidate) => candidate['filename'] === fileName || candidate['body'] === fileName);
        return content;
      },
      { timeout: 60_000, interval: 200 },
    )
    .toBeDefined();
  return content!;
}

/** An encrypted attachment's plaintext, downloaded through authenticated media as any client would. */
async function openAttachment(stack: StackInfo, user: MatrixUser, file: { url: string }): Promise<Buffer> {
  const [serverName, mediaId] = file.url.slice('mxc://'.length).split('/');
  const response = await fetch(`${stack.baseUrl}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, {
    headers: { Authorization: `Bearer ${user.accessToken}` },
  });
  expect(response.status).toBe(200);
  return Buffer.from(await decryptAttachment(await response.arrayBuffer(), file as never));
}

interface SentInfo {
  readonly w?: number;
  readonly h?: number;
  readonly duration?: number;
  readonly size: number;
  readonly mimetype: string;
  readonly thumbnail_file: { readonly v: string; readonly url: string; readonly hashes: { sha256: string } };
  readonly thumbnail_info: { readonly w: number; readonly h: number; readonly mimetype: string; readonly size: number };
  readonly thumbnail_url?: string;
}

describe('thumbnails of the images and videos the app sends, and of other clients’', () => {
  let stack: StackInfo;
  let browser: Browser;
  let alicesLink: MediaProxy;
  let fixtures: string;
  let alice: Person;
  let bob: Person;
  let erinUser: MatrixUser;
  let erin: MatrixClient;
  let roomId: string;
  const aliceTimings: string[] = [];

  beforeAll(async () => {
    stack = await ensureStack();
    fixtures = await mkdtemp(join(tmpdir(), 'slipstream-thumbnail-fixtures-'));
    const video = join(fixtures, VIDEO);
    // A second of black, then twenty of a moving test pattern: H.264 in MP4, moov first, about 5 MB.
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'color=black:s=640x360:r=30:d=1'],
      ...['-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=30:d=20'],
      ...['-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]', '-map', '[v]'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-b:v', '2M'],
      ...['-movflags', '+faststart', video],
    ]);
    // A blue photo with grain (so it does not compress to nothing), larger than the thumbnail box: about 2 MB.
    const photo = join(fixtures, PHOTO);
    await sharp(grainy(2400, 1600, [48, 96, 192]), { raw: { width: 2400, height: 1600, channels: 3 } })
      .jpeg({ quality: 92 })
      .toFile(photo);
    alicesLink = await startMediaProxy({ upstream: stack.baseUrl });
    browser = await launchChromium();
    erinUser = await registerUser(stack);
    [alice, bob, erin] = await Promise.all([
      startPerson(browser, stack, 'alice', { [VIDEO]: video, [PHOTO]: photo }, alicesLink.url),
      startPerson(browser, stack, 'bob', {}, stack.baseUrl),
      otherClient(stack, erinUser),
    ]);
    // How long Alice's app took over each event's media details (logged at debug level), for the output.
    alice.page.on('console', (message) => {
      if (message.type() === 'debug' && / ms, /.test(message.text())) aliceTimings.push(message.text());
    });
    // Bob starts nothing on his own: whatever his card shows came from the event alone.
    const bobs = await connectToHost(bob.host.url);
    await bobs.updateSettings({ autoDownloadMaxBytes: 0 });
    bobs.disconnect();

    await createRoomInUi(alice.page, ROOM, [bob.user.userId, erinUser.userId]);
    await acceptInvitation(bob.page, ROOM);
    roomId = await until(() => erin.getRooms().find((room) => room.getMyMembership() === 'invite')?.roomId);
    await erin.joinRoom(roomId);
    // Alice's app shares each event's key with the devices of the members it knows of: Erin's join first.
    await roomMessages(alice.page, ROOM)
      .getByText(new RegExp(`${erinUser.username} joined`))
      .waitFor({ timeout: 60_000 });
  }, TIMEOUT_MS);

  keepFailureEvidence('thumbnails', () => ({ alice, bob }));

  afterAll(async () => {
    erin?.stopClient();
    await browser?.close();
    await Promise.all([alice?.host.stop(), bob?.host.stop()]);
    await alicesLink?.close();
    await Promise.all([alice?.folders.remove(), bob?.folders.remove()]);
    await rm(fixtures, { recursive: true, force: true });
  });

  /**
   * Alice sends `fileName` on her slow uplink. Once Bob's card shows a thumbnail, checks that Bob has
   * no transfer of the file and Alice's upload is below 100 %, screenshots Bob's window as `shot`;
   * then reads the event as Erin's client does, checks the thumbnail fields every such event has, and
   * returns the content, its info and the thumbnail decrypted (which is what Bob's card shows).
   */
  async function sendAndSeeThumbnail(fileName: string, shot: string) {
    alicesLink.options.uploadBytesPerSecond = ALICES_UPLINK;
    const sent = performance.now();
    await chooseAndSend(alice.page, [fileName]);
    const card = fileCard(bob.page, ROOM, fileName);
    await card.waitFor({ timeout: 60_000 });
    const cardAfter = performance.now() - sent;
    const thumbnail = thumbnailIn(card);
    await thumbnail.waitFor({ timeout: 60_000 });
    const thumbnailAfter = performance.now() - sent;
    const bar = progressBar(alice.page, fileName);
    const [uploaded, total] = await Promise.all([progressValue(bar), progressMax(bar)]);
    const bobs = await connectToHost(bob.host.url);
    const bobsTransfers = await bobs.listTransfers();
    bobs.disconnect();
    console.log(
      `${fileName}: send → Bob's card ${(cardAfter / 1000).toFixed(2)} s, → his thumbnail ${(thumbnailAfter / 1000).toFixed(2)} s; ` +
        `Alice had uploaded ${(uploaded / KB).toFixed(0)} of ${(total / KB).toFixed(0)} KB; ` +
        `her app: ${aliceTimings.find((line) => line.startsWith(`${fileName}:`)) ?? 'no timing logged'}`,
    );
    expect(bobsTransfers.filter((transfer) => transfer.fileName === fileName)).toEqual([]);
    expect(uploaded).toBeLessThan(total);
    await screenshot(bob.page, shot);

    const content = await contentIn(erin, roomId, fileName);
    const info = content['info'] as SentInfo;
    expect(info).toMatchObject({ size: (await stat(join(fixtures, fileName))).size });
    expect(info.thumbnail_file).toMatchObject({ v: 'v2', url: expect.stringMatching(/^mxc:\/\//) });
    expect(info.thumbnail_url).toBeUndefined();
    const jpeg = await openAttachment(stack, erinUser, info.thumbnail_file);
    expect(info.thumbnail_info).toMatchObject({ mimetype: 'image/jpeg', size: jpeg.length });
    expect(await sharp(jpeg).metadata()).toMatchObject({
      format: 'jpeg',
      width: info.thumbnail_info.w,
      height: info.thumbnail_info.h,
    });
    expect(await samePicture(await shownPixels(thumbnail), jpeg)).toBe(true);
    return { content, info, jpeg };
  }

  it(
    'a video’s thumbnail is its first frame that is not black, with its size and duration, shown to Bob before the file is his',
    async () => {
      const { content, info, jpeg } = await sendAndSeeThumbnail(VIDEO, 'thumbnail-video-before-download');
      expect(content['msgtype']).toBe('m.video');
      expect(info).toMatchObject({ w: 640, h: 360, mimetype: 'video/mp4' });
      expect(Math.abs(info.duration! - 21_000)).toBeLessThan(200);
      expect(info.thumbnail_info).toMatchObject({ w: 640, h: 360 });
      // The video's first second is black (luma 0); the test pattern after it averages far above.
      expect(await meanLumaOf(jpeg)).toBeGreaterThan(60);
    },
    TIMEOUT_MS,
  );

  it(
    'a photo’s thumbnail fits 800×600 and keeps its colours; the event gives the photo’s size',
    async () => {
      const { content, info, jpeg } = await sendAndSeeThumbnail(PHOTO, 'thumbnail-image-before-download');
      expect(content['msgtype']).toBe('m.image');
      expect(info).toMatchObject({ w: 2400, h: 1600, mimetype: 'image/jpeg' });
      expect(info.duration).toBeUndefined();
      expect(info.thumbnail_info).toMatchObject({ w: 800, h: 533 });
      const [r, g, b] = (await sharp(jpeg).stats()).channels.map((channel) => channel.mean);
      expect(b!).toBeGreaterThan(g! + 40);
      expect(g!).toBeGreaterThan(r! + 20);
      alicesLink.options.uploadBytesPerSecond = undefined;
    },
    TIMEOUT_MS,
  );

  it(
    'a photo another client posts as Element does (thumbnail_file, v2) shows its thumbnail in Bob’s card',
    async () => {
      const postcard = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#e07020' } })
        .jpeg()
        .toBuffer();
      const small = await sharp(postcard).resize(800, 600).jpeg({ quality: 80 }).toBuffer();
      const upload = async (plaintext: Buffer) => {
        const { data, info } = await encryptAttachment(new Uint8Array(plaintext).buffer);
        const { content_uri: url } = await erin.uploadContent(new Uint8Array(data) as never, {
          type: 'application/octet-stream',
          includeFilename: false,
        });
        return { ...info, url };
      };
      await erin.sendMessage(roomId, {
        msgtype: 'm.image',
        body: POSTCARD,
        file: await upload(postcard),
        info: {
          w: 1600,
          h: 1200,
          mimetype: 'image/jpeg',
          size: postcard.length,
          thumbnail_file: await upload(small),
          thumbnail_info: { w: 800, h: 600, mimetype: 'image/jpeg', size: small.length },
        },
      } as never);

      const thumbnail = thumbnailIn(fileCard(bob.page, ROOM, POSTCARD));
      await thumbnail.waitFor({ timeout: 60_000 });
      expect(await samePicture(await shownPixels(thumbnail), small)).toBe(true);
      await screenshot(bob.page, 'thumbnail-from-another-client');
      for (const person of [alice, bob]) expect(person.errors, `${person.user.userId}'s page logged`).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
