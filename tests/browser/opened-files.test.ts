import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSampleFile } from '../../scripts/lib/sample-file.js';
import { startHostProcess } from '../support/browser-host.js';
import {
  openApp,
  screenshot,
  signIn,
  transferRow,
  waitForStatus,
  UI_TIMEOUT_MS,
  useAppUnderTest,
} from './app-harness.js';

const TIMEOUT_MS = UI_TIMEOUT_MS;

/*
 * Files handed to Slipstream from outside (named on `slipstream app`'s command line, or by a second
 * launch while it runs) are offered, never sent without asking: Send sends them, Dismiss forgets them.
 */

const MB = 1024 * 1024;

describe('files handed to the browser host from outside', () => {
  let given: string[];
  let later: string;
  const app = useAppUnderTest('opened', {
    prepare: async (folders) => {
      given = await Promise.all([
        makeSampleFile(join(folders.home, 'report.pdf'), 3 * MB),
        makeSampleFile(join(folders.home, 'scene.glb'), 5 * MB),
      ]);
      later = await makeSampleFile(join(folders.home, 'later.bin'), 1 * MB);
      return { files: given };
    },
  });

  it(
    'offers the command line’s files with Send and Dismiss; Send sends them, Dismiss forgets a later hand-over',
    async () => {
      const { stack, user, folders, host, browser } = app;
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
