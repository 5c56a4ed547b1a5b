import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeSampleFile } from '../../scripts/lib/sample-file.js';
import {
  isFocused,
  openApp,
  overflowsSideways,
  screenshot,
  transferRow,
  waitForStatus,
  UI_TIMEOUT_MS,
  useAppUnderTest,
} from './app-harness.js';

const TIMEOUT_MS = UI_TIMEOUT_MS;

/*
 * The app without a mouse, as the renderer the browser host serves: signing in, sending through the
 * chooser and closing dialogs all work from the keyboard; a dialog keeps focus inside it and gives it
 * back; nothing is pushed out sideways in a narrow window.
 */

/** The accessible name and role of what has focus, as a screen reader would announce it. */
async function focusedControl(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const element = document.activeElement;
    if (!element) return '';
    const label = element.labels?.[0]?.textContent ?? element.getAttribute('aria-label') ?? element.textContent ?? '';
    return element.tagName.toLowerCase() + ':' + label.trim().split('\\n')[0];
  })()`);
}

async function tabUntil(page: Page, wanted: string, limit = 15): Promise<void> {
  for (let presses = 0; presses < limit; presses += 1) {
    if ((await focusedControl(page)).startsWith(wanted)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${wanted}; focus is on ${await focusedControl(page)}`);
}

describe('the browser host’s app from the keyboard', () => {
  const app = useAppUnderTest('keyboard', {
    prepare: async (folders) => {
      await makeSampleFile(join(folders.home, 'notes.txt'), 200_000);
    },
  });

  it(
    'signs in, sends a file through the chooser and closes dialogs without a mouse',
    async () => {
      const { stack, user, host, browser } = app;
      const { page, errors } = await openApp(browser, host.url);
      await page.getByRole('region', { name: 'Sign in to your Matrix account' }).waitFor();
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'signed-out-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 700, height: 760 });
      expect(await overflowsSideways(page)).toBe(false);
      await screenshot(page, 'signed-out-narrow');

      await tabUntil(page, 'input:Username or Matrix ID');
      await page.keyboard.type(user.username);
      await page.keyboard.press('Tab');
      expect(await focusedControl(page)).toBe('input:Homeserver');
      await page.keyboard.type(stack.baseUrl);
      await page.keyboard.press('Tab');
      expect(await focusedControl(page)).toBe('input:Password');
      await page.keyboard.type(user.password);
      await page.keyboard.press('Enter');
      await page.getByText(`Signed in as ${user.userId}`).waitFor({ timeout: 30_000 });
      expect(await overflowsSideways(page)).toBe(false);
      await screenshot(page, 'signed-in-narrow');

      // A room, made from the keyboard: the dialog starts in its first field and Enter creates it.
      await tabUntil(page, 'button:New room');
      await page.keyboard.press('Enter');
      const newRoom = page.getByRole('dialog', { name: 'New room' });
      await newRoom.waitFor();
      expect(await focusedControl(page)).toBe('input:Room name');
      await page.keyboard.type('Keyboard notes');
      // Right after signing in the client may still be opening: Create room waits for it.
      await newRoom.getByRole('button', { name: 'Create room' }).waitFor();
      await page.keyboard.press('Enter');
      await newRoom.waitFor({ state: 'detached', timeout: 30_000 });
      await page.getByRole('heading', { name: 'Keyboard notes', level: 2 }).waitFor({ timeout: 30_000 });

      await tabUntil(page, 'button:Send files', 40);
      await page.keyboard.press('Enter');
      const chooser = page.getByRole('dialog', { name: 'Choose files to send' });
      await chooser.getByRole('checkbox', { name: 'notes.txt' }).waitFor();
      // Focus starts inside the dialog and Tab never leaves it.
      for (let presses = 0; presses < 12; presses += 1) {
        expect(await chooser.evaluate((dialog) => dialog.contains(dialog.ownerDocument.activeElement))).toBe(true);
        await page.keyboard.press('Tab');
      }
      expect(await overflowsSideways(page)).toBe(false);
      await screenshot(page, 'chooser-narrow');
      await tabUntil(page, 'input:notes.txt');
      await page.keyboard.press('Space');
      await tabUntil(page, 'button:Send 1 file');
      await page.keyboard.press('Enter');
      await chooser.waitFor({ state: 'detached' });
      expect(await isFocused(page.getByRole('button', { name: 'Send files' }))).toBe(true);
      await waitForStatus(transferRow(page, 'notes.txt'), 'Completed');

      // Settings open from the keyboard and Escape closes them, giving focus back.
      await tabUntil(page, 'button:Settings', 40);
      await page.keyboard.press('Enter');
      const settings = page.getByRole('dialog', { name: 'Settings' });
      await settings.waitFor();
      // Focus starts in the first field to type in, not on the folder, which is only shown.
      expect(await focusedControl(page)).toBe('input:Download automatically up to (MB)');
      expect(await overflowsSideways(page)).toBe(false);
      await screenshot(page, 'settings-narrow');
      await page.keyboard.press('Escape');
      await settings.waitFor({ state: 'detached' });
      expect(await isFocused(page.getByRole('button', { name: 'Settings' }))).toBe(true);
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
