import { appendFile, mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleFile } from '../../scripts/lib/sample-file.js';
import { connectToHost } from '../support/browser-host.js';
import { type MediaProxy, startMediaProxy } from '../support/media-proxy.js';
import {
  createRoomInUi,
  isFocused,
  openApp,
  screenshot,
  signIn,
  statusNow,
  transferRow,
  UI_TIMEOUT_MS,
  useAppUnderTest,
  waitForStatus,
} from './app-harness.js';

const TIMEOUT_MS = UI_TIMEOUT_MS;
const MB = 1024 * 1024;

/*
 * The settings dialog: every field is the main side's (a reload reads them back from it), the download
 * folder is chosen in the host's chooser in folder mode, and a value out of range is refused in words,
 * next to the field, until it is edited. Transfers at once is then held to: with 1, a second send waits
 * as Queued. The engine reaches the stack through tests/support/media-proxy.ts, which slows uploads
 * down so that the first send is still running while the second waits.
 */

describe('the settings dialog in the browser host', () => {
  let proxy: MediaProxy;
  const app = useAppUnderTest('settings', {
    prepare: async (folders) => {
      await mkdir(join(folders.home, 'Inbox'));
      await makeSampleFile(join(folders.home, 'first.bin'), 12 * MB);
      await makeSampleFile(join(folders.home, 'second.bin'), 1 * MB);
    },
  });

  beforeAll(async () => {
    proxy = await startMediaProxy({ upstream: app.stack.baseUrl });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await proxy?.close();
  });

  async function chooseAndSend(page: Page, fileName: string) {
    await page.getByRole('button', { name: 'Send files' }).click();
    const chooser = page.getByRole('dialog', { name: 'Choose files to send' });
    await chooser.getByRole('checkbox', { name: fileName }).check();
    await chooser.getByRole('button', { name: 'Send 1 file' }).click();
    await chooser.waitFor({ state: 'detached' });
  }

  it(
    'keeps transfers at once, the default format and the download folder across a reload, and holds to transfers at once',
    async () => {
      const { user, folders, host, browser } = app;
      const home = await realpath(folders.home);
      const { page, errors } = await openApp(browser, host.url);
      await signIn(page, proxy.url, user);
      await createRoomInUi(page, 'Report drafts');
      const settingsButton = page.getByRole('button', { name: 'Settings' });
      await settingsButton.click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.waitFor();
      const concurrent = dialog.getByRole('spinbutton', { name: 'Transfers at once' });
      const autoDownload = dialog.getByRole('spinbutton', { name: 'Download automatically up to (MB)' });
      // The folder is shown, not typed: inside home as ~/…, the whole path in its title.
      const folder = dialog.getByRole('status', { name: 'Download folder' });
      expect(await concurrent.inputValue()).toBe('3');
      expect(await autoDownload.inputValue()).toBe('100');
      await expect.poll(() => folder.textContent()).toBe('~/Downloads');
      expect(await folder.getAttribute('title')).toBe(join(home, 'Downloads'));
      expect(await dialog.getByRole('radio', { name: 'Automatic (recommended)' }).isChecked()).toBe(true);
      // Each format says what it means for the people who receive the file.
      expect(await dialog.textContent()).toMatch(/only apps that support streaming/);
      await screenshot(page, 'settings-open');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'settings-open-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      // How keys are kept is here, not on every screen.
      await dialog.getByText('Keys are stored encrypted on this computer').click();
      await dialog.getByText(join(folders.dataDir, 'secret-store.key'), { exact: false }).waitFor();
      await dialog.evaluate((element) => {
        const scroller = element as unknown as { scrollTop: number; scrollHeight: number };
        scroller.scrollTop = scroller.scrollHeight;
      });
      await screenshot(page, 'settings-key-storage');

      // Out of range: refused in words beside the field, nothing saved; editing the field clears it.
      await concurrent.fill('9');
      await dialog.getByRole('button', { name: 'Save' }).click();
      const problem = dialog.getByRole('alert');
      await expect.poll(() => problem.textContent()).toBe('Transfers at once must be a whole number from 1 to 8.');
      expect(await concurrent.getAttribute('aria-invalid')).toBe('true');
      expect(await concurrent.getAttribute('aria-describedby')).toContain(await problem.getAttribute('id'));
      await screenshot(page, 'settings-problem');
      await concurrent.fill('5');
      expect(await problem.count()).toBe(0);
      expect(await concurrent.getAttribute('aria-invalid')).toBe('false');

      await autoDownload.fill('0');
      await dialog.getByRole('radio', { name: 'Always compatible' }).check();

      // The download folder, in the host's chooser in folder mode: it opens where the folder is now.
      await dialog.getByRole('button', { name: 'Change the download folder' }).click();
      const chooser = page.getByRole('dialog', { name: 'Choose the download folder' });
      const crumbs = chooser.getByRole('navigation', { name: 'Current folder' });
      const here = crumbs.getByRole('button', { name: 'Downloads', exact: true });
      await here.waitFor();
      expect(await here.getAttribute('aria-current')).toBe('location');
      expect(await here.getAttribute('title')).toBe(join(home, 'Downloads'));
      // Escape closes the chooser only; the settings stay open.
      await page.keyboard.press('Escape');
      await chooser.waitFor({ state: 'detached' });
      expect(await dialog.isVisible()).toBe(true);
      await dialog.getByRole('button', { name: 'Change the download folder' }).click();
      await crumbs.getByRole('button', { name: 'Home', exact: true }).click();
      await chooser.getByRole('button', { name: 'Inbox' }).click();
      await crumbs.getByRole('button', { name: 'Inbox', exact: true }).waitFor();
      expect(await crumbs.textContent()).toBe('HomeInbox');
      expect(await chooser.getByRole('checkbox').count()).toBe(0);
      await screenshot(page, 'chooser-folder-mode');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'chooser-folder-mode-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await chooser.getByRole('button', { name: 'Use this folder' }).click();
      await chooser.waitFor({ state: 'detached' });
      expect(await folder.textContent()).toBe('~/Inbox');

      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await isFocused(settingsButton)).toBe(true);

      const contract = await connectToHost(host.url);
      expect(await contract.getSettings()).toMatchObject({
        maxConcurrentTransfers: 5,
        autoDownloadMaxBytes: 0,
        defaultFormat: 'v2',
        downloadFolder: join(home, 'Inbox'),
      });
      contract.disconnect();

      await page.reload();
      await page.getByRole('button', { name: 'Settings' }).click();
      await dialog.waitFor();
      expect(await concurrent.inputValue()).toBe('5');
      expect(await autoDownload.inputValue()).toBe('0');
      expect(await folder.getAttribute('title')).toBe(join(home, 'Inbox'));
      expect(await dialog.getByRole('radio', { name: 'Always compatible' }).isChecked()).toBe(true);
      // Cancel leaves everything as it was.
      await concurrent.fill('2');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Settings' }).click();
      expect(await concurrent.inputValue()).toBe('5');

      // One at a time: the second send waits as Queued while the first runs.
      await concurrent.fill('1');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      proxy.options.uploadBytesPerSecond = 3 * MB;
      await chooseAndSend(page, 'first.bin');
      const first = transferRow(page, 'first.bin');
      await waitForStatus(first, 'Uploading', 30_000);
      await chooseAndSend(page, 'second.bin');
      const second = transferRow(page, 'second.bin');
      await waitForStatus(second, 'Queued', 30_000);
      expect(await statusNow(first)).toMatch(/^Uploading/);
      // Changed while it waits: it cannot go out under the key made for what it was, so it will fail.
      await appendFile(join(folders.home, 'second.bin'), 'changed');
      await screenshot(page, 'transfers-queued');

      // Signing out would pause both: the page asks first, and staying is the default.
      await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
      const question = page.getByRole('alertdialog', { name: 'Sign out?' });
      await question.waitFor();
      expect(await question.textContent()).toContain(
        '2 transfers are still running. They will pause, and continue when you sign in to this account again.',
      );
      expect(await isFocused(question.getByRole('button', { name: 'Stay signed in' }))).toBe(true);
      await screenshot(page, 'sign-out-confirmation');
      await question.getByRole('button', { name: 'Stay signed in' }).click();
      await question.waitFor({ state: 'detached' });
      await page.getByText(`Signed in as ${user.userId}`).waitFor();

      proxy.options.uploadBytesPerSecond = undefined;
      await waitForStatus(first, 'Completed');
      await waitForStatus(second, 'Failed');
      expect(await second.locator('.status').textContent()).toMatch(/^Failed: .* changed after its transfer began/);
      // A changed file cannot go out again under the same key: no Retry, the sentence says to send it again.
      expect(await second.getByRole('button').allTextContents()).toEqual(['Remove from list']);
      await screenshot(page, 'transfers-failed');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'transfers-failed-dark');
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
