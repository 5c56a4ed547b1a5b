import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { decryptAttachment, encryptAttachment } from 'matrix-encrypt-attachment/lib/webcrypto.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerUser, type MatrixUser } from '../support/stack.js';
import { sha256OfFile } from '../support/transfer.js';
import { connectToHost } from '../support/browser-host.js';
import {
  fileCard,
  openApp,
  roomMessages,
  screenshot,
  signIn,
  transferRow,
  UI_TIMEOUT_MS,
  useAppUnderTest,
  waitForStatus,
} from './app-harness.js';

/*
 * Files from Matrix clients that are not Slipstream, received in the app: another person (here a
 * matrix-js-sdk client in the test, doing what Element does: encrypt the whole file with
 * matrix-encrypt-attachment, upload it with uploadContent, then post the event) shares a v2 file and a
 * plain unencrypted one in a room the app's user made without encryption. Both show as cards, download
 * on click, and are saved byte for byte; the v2 one is verified against its hashes. And a v2 file sent
 * from the app opens with matrix-encrypt-attachment, as it would in Element.
 */

const MB = 1024 * 1024;
const ROOM = 'Press kit';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const arrayBufferOf = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer;

/** The room `user` is invited to, once its invitation shows in a sync. */
async function invitedRoom(homeserverUrl: string, user: MatrixUser): Promise<string> {
  let roomId: string | undefined;
  await expect
    .poll(
      async () => {
        const sync = (await fetch(`${homeserverUrl}/_matrix/client/v3/sync?timeout=0`, {
          headers: { Authorization: `Bearer ${user.accessToken}` },
        }).then((response) => response.json())) as { rooms?: { invite?: Record<string, unknown> } };
        roomId = Object.keys(sync.rooms?.invite ?? {})[0];
        return roomId;
      },
      { timeout: 30_000 },
    )
    .toBeDefined();
  return roomId!;
}

/** An event of the room as another client reads it from the room's history. */
async function eventInRoom(client: MatrixClient, roomId: string, eventId: string) {
  let found: { content: Record<string, unknown> } | undefined;
  await expect
    .poll(
      async () => {
        const messages = await client.createMessagesRequest(roomId, null, 30, 'b' as never);
        found = messages.chunk.find((candidate) => candidate.event_id === eventId);
        return found;
      },
      { timeout: 30_000 },
    )
    .toBeDefined();
  return found!;
}

function promiseWithResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('files from and to other Matrix clients', () => {
  const app = useAppUnderTest('other-clients');
  let other: MatrixUser;
  let element: MatrixClient;

  // matrix-encrypt-attachment's browser code reaches WebCrypto and btoa through `window`; matrix-js-sdk
  // 43 uses Promise.withResolvers, which Node has from 22 on (the renderer's Chromium has it).
  beforeAll(async () => {
    vi.stubGlobal('window', globalThis);
    if (!('withResolvers' in Promise)) {
      vi.stubGlobal('Promise', Object.assign(Promise, { withResolvers: promiseWithResolvers }));
    }
    other = await registerUser(app.stack);
    element = createClient({ baseUrl: app.stack.baseUrl, accessToken: other.accessToken, userId: other.userId });
  }, UI_TIMEOUT_MS);
  afterAll(() => vi.unstubAllGlobals());

  it(
    'receives a v2 file and a plain file posted the way Element posts them, and verifies the v2 one',
    async () => {
      const { stack, user, folders, host, browser } = app;
      const { page, errors } = await openApp(browser, host.url);
      await signIn(page, stack.baseUrl, user);

      // A room without encryption, made in the app, with the other client invited.
      await page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: 'New room' }).click();
      const dialog = page.getByRole('dialog', { name: 'New room' });
      await dialog.getByRole('textbox', { name: 'Room name' }).fill(ROOM);
      await dialog.getByRole('textbox', { name: /^Invite/ }).fill(other.userId);
      await dialog.getByRole('checkbox', { name: 'End-to-end encrypted' }).uncheck();
      expect(await dialog.textContent()).toContain('Messages and files can be read by the homeserver');
      await dialog.getByRole('button', { name: 'Create room' }).click();
      await page.getByRole('heading', { name: ROOM, level: 2 }).waitFor({ timeout: 30_000 });
      expect(await page.getByText('Not encrypted', { exact: true }).count()).toBe(1);
      const roomId = await invitedRoom(stack.baseUrl, other);
      await element.joinRoom(roomId);

      // In the background, with the browser's permission, the page tells of files that arrived. (The
      // page's Notification is replaced by one that records: headless Chromium shows none.)
      await page.evaluate(`(() => {
        window.shown = [];
        window.Notification = class {
          static permission = 'granted';
          constructor(title, options) { window.shown.push({ title, body: options.body }); }
        };
        document.hasFocus = () => false;
      })()`);

      // Element's path: the whole file encrypted (v2), uploaded in one request, then the event.
      const report = randomBytes(3 * MB + 5);
      const { data, info } = await encryptAttachment(arrayBufferOf(report));
      const { content_uri: encryptedUri } = await element.uploadContent(new Uint8Array(data) as never, {
        type: 'application/octet-stream',
        includeFilename: false,
      });
      await element.sendMessage(roomId, {
        msgtype: 'm.file',
        body: 'report.pdf',
        file: { ...info, url: encryptedUri },
        info: { size: report.length, mimetype: 'application/pdf' },
      } as never);
      // And a plain one, as clients send in rooms without encryption.
      const photo = randomBytes(1 * MB + 7);
      const { content_uri: plainUri } = await element.uploadContent(photo as never, {
        type: 'image/png',
        name: 'photo.png',
      });
      await element.sendMessage(roomId, {
        msgtype: 'm.image',
        body: 'photo.png',
        url: plainUri,
        info: { size: photo.length, mimetype: 'image/png' },
      } as never);

      // Both are under the auto-download size: they arrive without a click.
      for (const name of ['report.pdf', 'photo.png']) await fileCard(page, ROOM, name).waitFor({ timeout: 60_000 });
      await waitForStatus(transferRow(page, 'report.pdf'), 'Completed · verified', 60_000);
      await waitForStatus(transferRow(page, 'photo.png'), 'Completed', 60_000);
      expect(await fileCard(page, ROOM, 'photo.png').textContent()).toContain(
        'This file was not end-to-end encrypted.',
      );
      const downloads = join(folders.home, 'Downloads');
      await expect
        .poll(() => page.evaluate('window.shown.map((notice) => notice.title).sort()'))
        .toEqual(['Received photo.png', 'Received report.pdf']);
      expect(await page.evaluate('window.shown[0].body')).toMatch(/^Saved as \//);
      expect(await sha256OfFile(join(downloads, 'report.pdf'))).toBe(sha256(report));
      expect(await sha256OfFile(join(downloads, 'photo.png'))).toBe(sha256(photo));
      await screenshot(page, 'files-from-other-clients');

      // The other way: a small file from the app goes out as v2 (Automatic), which Element opens.
      const sentName = 'notes.txt';
      const notes = randomBytes(200_000);
      await writeFile(join(folders.home, sentName), notes);
      await page.getByRole('button', { name: 'Send files…' }).click();
      const chooser = page.getByRole('dialog', { name: 'Choose files to send' });
      await chooser.getByRole('checkbox', { name: sentName }).check();
      await chooser.getByRole('button', { name: 'Send 1 file' }).click();
      await waitForStatus(transferRow(page, sentName), 'Completed', 60_000);
      const contract = await connectToHost(host.url);
      // A small upload can finish before its room event is posted: the event's ID follows.
      let eventId: string | undefined;
      await expect
        .poll(async () => {
          eventId = (await contract.listTransfers()).find((transfer) => transfer.fileName === sentName)?.eventId;
          return eventId;
        })
        .toBeDefined();
      contract.disconnect();
      const event = await eventInRoom(element, roomId, eventId!);
      const file = (event.content as { file: { url: string; v: string } }).file;
      expect(file.v).toBe('v2');
      expect((event.content as { body: string }).body).toBe(sentName);
      const [serverName, mediaId] = file.url.slice('mxc://'.length).split('/');
      const ciphertext = await fetch(`${stack.baseUrl}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, {
        headers: { Authorization: `Bearer ${other.accessToken}` },
      }).then((response) => response.arrayBuffer());
      const opened = await decryptAttachment(ciphertext, file as never);
      expect(sha256(new Uint8Array(opened))).toBe(sha256(notes));
      expect(errors).toEqual([]);
      await roomMessages(page, ROOM).waitFor();
    },
    UI_TIMEOUT_MS,
  );
});
