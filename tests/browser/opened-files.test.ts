import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleFile } from '../../scripts/lib/sample-file.js';
import { launchChromium } from '../support/browser.js';
import { type HostProcess, startHostProcess } from '../support/browser-host.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from '../support/stack.js';
import {
  type AppFolders,
  makeAppFolders,
  openApp,
  screenshot,
  signIn,
  startHost,
  transferRow,
  waitForStatus,
} from './app-harness.js';

/** Generous: a first start builds the renderer, and the machine is shared. No assertion depends on speed. */
const TIMEOUT_MS = 180_000;
const START_TIMEOUT_MS = 180_000;

/*
 * Files handed to Slipstream from outside (named on `slipstream app`'s command line, or by a second
 * launch while it runs) are offered, never sent without asking: Send sends them, Dismiss forgets them.
 */

const MB = 1024 * 1024;

describe('files handed to the browser host from outside', () => {
  let stack: StackInfo;
  let user: MatrixUser;
  let folders: AppFolders;
  let host: HostProcess;
  let browser: Browser;
  let given: string[];
  let later: string;

  beforeAll(async () => {
    stack = await ensureStack();
    user = await registerUser(stack);
    folders = await makeAppFolders('opened');
    given = await Promise.all([
      makeSampleFile(join(folders.home, 'report.pdf'), 3 * MB),
      makeSampleFile(join(folders.home, 'scene.glb'), 5 * MB),
    ]);
    later = await makeSampleFile(join(folders.home, 'later.bin'), 1 * MB);
    host = await startHost(folders, { files: given });
    browser = await launchChromium();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    await folders?.remove();
  });

  it(
    'offers the command line’s files with Send and Dismiss; Send sends them, Dismiss forgets a later hand-over',
    async () => {
      const { page, errors } = await openApp(browser, host.url);
      await signIn(page, stack.baseUrl, user);
      const offer = page.getByRole('region', { name: 'Send these files?' });
      await offer.waitFor();
      expect(await offer.getByRole('listitem').allTextContents()).toEqual(
        given.map((path) => expect.stringContaining(path)),
      );
      await screenshot(page, 'opened-files-offer');
      // Nothing is sent before the person says so.
      expect(await page.getByRole('list', { name: 'Transfers' }).count()).toBe(0);

      await offer.getByRole('button', { name: 'Send' }).click();
      await offer.waitFor({ state: 'detached' });
      await waitForStatus(transferRow(page, 'report.pdf'), 'Completed');
      await waitForStatus(transferRow(page, 'scene.glb'), 'Completed');

      // A second launch on the same data hands its file to the running host, which offers it at once.
      const second = await startHostProcess({ dataDir: folders.dataDir, home: folders.home, files: [later] });
      await second.stop();
      expect(second.url).toBe(host.url);
      await offer.waitFor();
      expect(await offer.textContent()).toContain('later.bin');
      await offer.getByRole('button', { name: 'Dismiss' }).click();
      await offer.waitFor({ state: 'detached' });
      expect(await transferRow(page, 'later.bin').count()).toBe(0);

      // Files are handed over once: a reload offers nothing again.
      await page.reload();
      await transferRow(page, 'scene.glb').waitFor();
      expect(await offer.count()).toBe(0);
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
