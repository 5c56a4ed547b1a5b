import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSampleFile } from '../../scripts/lib/sample-file.js';
import { startHostProcess } from '../support/browser-host.js';
import {
  createRoomInUi,
  openApp,
  overflowsSideways,
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
 * launch while it runs) are offered, never sent without asking: Send sends them, Don’t send forgets them.
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
    'offers the command line’s files with Send and Don’t send; Send sends them, Don’t send forgets a later hand-over',
    async () => {
      const { stack, user, folders, host, browser } = app;
      const { page, errors } = await openApp(browser, host.url);
      await signIn(page, stack.baseUrl, user);
      // With a room open, the offer sends there.
      await createRoomInUi(page, 'Hand-overs');
      const offer = page.getByRole('region', { name: 'You opened 2 files with Slipstream. Send them?' });
      await offer.waitFor();
      // Each by name, with its size and folder; the whole path in its title.
      const items = offer.getByRole('listitem');
      await expect
        .poll(() => items.allTextContents())
        .toEqual(['report.pdf 3 MB · in your home folder', 'scene.glb 5 MB · in your home folder']);
      expect(await Promise.all((await items.all()).map((item) => item.getAttribute('title')))).toEqual(given);
      await screenshot(page, 'opened-files-offer');
      await page.setViewportSize({ width: 700, height: 760 });
      expect(await overflowsSideways(page)).toBe(false);
      await screenshot(page, 'opened-files-offer-narrow');
      await page.setViewportSize({ width: 1100, height: 760 });
      // Nothing is sent before the person says so.
      expect(await page.getByRole('list', { name: 'Transfers' }).count()).toBe(0);

      await offer.getByRole('button', { name: 'Send 2 files to Hand-overs' }).click();
      await offer.waitFor({ state: 'detached' });
      await waitForStatus(transferRow(page, 'report.pdf'), 'Completed');
      await waitForStatus(transferRow(page, 'scene.glb'), 'Completed');

      // A second launch on the same data hands its file to the running host, which offers it at once.
      const second = await startHostProcess({ dataDir: folders.dataDir, home: folders.home, files: [later] });
      await second.stop();
      expect(second.url).toBe(host.url);
      const offerOfOne = page.getByRole('region', { name: 'You opened later.bin with Slipstream. Send it?' });
      await offerOfOne.waitFor();
      expect(await offerOfOne.getByRole('button', { name: 'Send 1 file to Hand-overs' }).count()).toBe(1);
      await offerOfOne.getByRole('button', { name: 'Don’t send' }).click();
      await offerOfOne.waitFor({ state: 'detached' });
      expect(await transferRow(page, 'later.bin').count()).toBe(0);

      // Files are handed over once: a reload offers nothing again.
      await page.reload();
      await transferRow(page, 'scene.glb').waitFor();
      expect(await page.getByRole('region', { name: /^You opened/ }).count()).toBe(0);
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
