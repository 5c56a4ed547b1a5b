import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectToHost } from '../support/browser-host.js';
import { isFocused, openApp, screenshot, signIn, UI_TIMEOUT_MS, useAppUnderTest } from './app-harness.js';

const TIMEOUT_MS = UI_TIMEOUT_MS;

/*
 * The settings dialog: every field is the main side's (a reload reads them back from it), the download
 * folder is chosen in the host's chooser in folder mode, and a value out of range is refused in words.
 */

describe('the settings dialog in the browser host', () => {
  const app = useAppUnderTest('settings', {
    prepare: async (folders) => {
      await mkdir(join(folders.home, 'Inbox'));
    },
  });

  it(
    'keeps transfers at once, the default format and the download folder across a reload',
    async () => {
      const { stack, user, folders, host, browser } = app;
      const { page, errors } = await openApp(browser, host.url);
      await signIn(page, stack.baseUrl, user);
      const settingsButton = page.getByRole('button', { name: 'Settings' });
      await settingsButton.click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.waitFor();
      const concurrent = dialog.getByRole('spinbutton', { name: 'Transfers at once' });
      const autoDownload = dialog.getByRole('spinbutton', { name: 'Download automatically up to (MB)' });
      const folder = dialog.getByRole('textbox', { name: 'Download folder' });
      expect(await concurrent.inputValue()).toBe('3');
      expect(await autoDownload.inputValue()).toBe('100');
      expect(await folder.inputValue()).toBe(join(await realpath(folders.home), 'Downloads'));
      expect(await dialog.getByRole('radio', { name: /^Automatic/ }).isChecked()).toBe(true);
      // Each format says what it means for the people who receive the file.
      expect(await dialog.textContent()).toMatch(/only apps that support MSC4016/);
      await screenshot(page, 'settings-open');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'settings-open-dark');
      await page.emulateMedia({ colorScheme: 'light' });

      // Out of range: refused in words, nothing saved.
      await concurrent.fill('9');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect
        .poll(() => dialog.getByRole('alert').textContent())
        .toBe('Transfers at once must be a whole number from 1 to 8.');

      await concurrent.fill('5');
      await autoDownload.fill('0');
      await dialog.getByRole('radio', { name: /^Compatible for every file/ }).check();

      // The download folder, in the host's chooser in folder mode: it opens where the folder is now.
      await dialog.getByRole('button', { name: 'Change the download folder' }).click();
      const chooser = page.getByRole('dialog', { name: 'Choose the download folder' });
      await chooser.waitFor();
      await chooser.getByText(join(await realpath(folders.home), 'Downloads')).waitFor();
      // Escape closes the chooser only; the settings stay open.
      await page.keyboard.press('Escape');
      await chooser.waitFor({ state: 'detached' });
      expect(await dialog.isVisible()).toBe(true);
      await dialog.getByRole('button', { name: 'Change the download folder' }).click();
      await chooser.getByRole('button', { name: 'Up to the parent folder' }).click();
      await chooser.getByRole('button', { name: 'Inbox' }).click();
      await chooser.getByText(join(await realpath(folders.home), 'Inbox')).waitFor();
      expect(await chooser.getByRole('checkbox').count()).toBe(0);
      await screenshot(page, 'chooser-folder-mode');
      await chooser.getByRole('button', { name: 'Use this folder' }).click();
      await chooser.waitFor({ state: 'detached' });
      expect(await folder.inputValue()).toBe(join(await realpath(folders.home), 'Inbox'));

      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await isFocused(settingsButton)).toBe(true);

      const contract = await connectToHost(host.url);
      expect(await contract.getSettings()).toMatchObject({
        maxConcurrentTransfers: 5,
        autoDownloadMaxBytes: 0,
        defaultFormat: 'v2',
        downloadFolder: join(await realpath(folders.home), 'Inbox'),
      });
      contract.disconnect();

      await page.reload();
      await page.getByRole('button', { name: 'Settings' }).click();
      await dialog.waitFor();
      expect(await concurrent.inputValue()).toBe('5');
      expect(await autoDownload.inputValue()).toBe('0');
      expect(await folder.inputValue()).toBe(join(await realpath(folders.home), 'Inbox'));
      expect(await dialog.getByRole('radio', { name: /^Compatible for every file/ }).isChecked()).toBe(true);
      // Cancel leaves everything as it was.
      await concurrent.fill('2');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Settings' }).click();
      expect(await concurrent.inputValue()).toBe('5');
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
