import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureStack, type MatrixUser, registerUser } from '../support/stack.js';
import {
  createRoomInUi,
  downloadWithCli,
  openApp,
  progressBar,
  progressValue,
  progressValueNow,
  sampleProgress,
  screenshot,
  sentContent,
  signIn,
  transferRow,
  waitForStatus,
  UI_TIMEOUT_MS,
  useAppUnderTest,
} from './app-harness.js';

const TIMEOUT_MS = UI_TIMEOUT_MS;

/*
 * A file dropped onto the page: the browser gives its bytes but never its path, so the page streams it
 * into the host's spool (PUT /spool) with progress of its own, and the send starts from that copy,
 * which goes once the transfer is done.
 */

const MB = 1024 * 1024;
const NAME = 'dropped clip.bin';
const SIZE = 24 * MB;

describe('dropping a file onto the browser host’s page', () => {
  const app = useAppUnderTest('drop');
  let recipient: MatrixUser;

  beforeAll(async () => {
    recipient = await registerUser(await ensureStack());
  });

  it(
    'copies it into Slipstream with progress, sends it to completion, and leaves the spool empty',
    async () => {
      const { stack, user, folders, host, browser } = app;
      const { page, errors } = await openApp(browser, host.url);
      await signIn(page, stack.baseUrl, user);
      await createRoomInUi(page, 'Drops');
      // The copy goes over the loopback in a blink; the browser's own network throttling makes it last.
      const devtools = await page.context().newCDPSession(page);
      await devtools.send('Network.enable');
      await devtools.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 6 * MB,
      });

      // A File made in the page, as a drag from the desktop hands one over; its SHA-256 is computed there too.
      const dataTransfer = await page.evaluateHandle(`(async () => {
      const bytes = new Uint8Array(${SIZE});
      for (let offset = 0; offset < bytes.length; offset += 65536) {
        crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65536)));
      }
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      window.droppedSha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], ${JSON.stringify(NAME)}, { type: 'application/octet-stream' }));
      return transfer;
    })()`);
      const droppedSha256 = (await page.evaluate('window.droppedSha256')) as string;

      const target = page.getByRole('main');
      await target.dispatchEvent('dragenter', { dataTransfer });
      await target.dispatchEvent('dragover', { dataTransfer });
      const highlight = page.getByText('Drop to send');
      await highlight.waitFor();
      await screenshot(page, 'drop-highlight');
      await target.dispatchEvent('drop', { dataTransfer });
      await highlight.waitFor({ state: 'detached' });

      const copying = page.getByRole('progressbar', { name: `Copying ${NAME} into Slipstream`, exact: true });
      await copying.waitFor();
      // Said for what it is: the copy a browser needs before the upload, not the upload itself.
      expect(await page.getByText('Preparing to send', { exact: true }).count()).toBe(1);
      expect(
        await page.getByText(/copying the file into Slipstream \(browsers cannot share the original\)/).count(),
      ).toBe(1);
      let shot = false;
      const copied = await sampleProgress(copying, async () => {
        if (!shot && ((await progressValueNow(copying)) ?? 0) > SIZE * 0.2) {
          shot = true;
          await screenshot(page, 'drop-copying');
        }
        return (await copying.count()) === 0;
      });
      expect(shot).toBe(true);
      expect(copied.length).toBeGreaterThanOrEqual(3);
      for (let index = 1; index < copied.length; index += 1) expect(copied[index]!).toBeGreaterThan(copied[index - 1]!);

      const row = transferRow(page, NAME);
      await waitForStatus(row, 'Completed');
      expect(await progressValue(progressBar(page, NAME))).toBe(SIZE);
      // The copy was only for the send: it is gone once the send is done.
      const spool = join(folders.dataDir, 'spool');
      await expect.poll(() => readdir(spool), { timeout: 30_000 }).toEqual([]);

      // A dropped file was copied into the app: it has no folder of its own, so none is offered.
      expect(await row.getByRole('button').allTextContents()).toEqual(['Remove from list']);
      await screenshot(page, 'dropped-completed');

      const content = await sentContent(host.url, NAME);
      expect(await downloadWithCli(stack, recipient, content, folders.root)).toBe(droppedSha256);
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
