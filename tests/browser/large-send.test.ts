import { link, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleFile, sha256OfFile } from '../../scripts/lib/sample-file.js';
import { launchChromium } from '../support/browser.js';
import { connectToHost, type HostProcess } from '../support/browser-host.js';
import { type MediaProxy, startMediaProxy } from '../support/media-proxy.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from '../support/stack.js';
import {
  createRoomInUi,
  type AppFolders,
  downloadWithCli,
  isFocused,
  makeAppFolders,
  openApp,
  overflowsSideways,
  progressBar,
  progressMax,
  progressValue,
  sampleProgress,
  screenshot,
  sentContent,
  signIn,
  startHost,
  statusNow,
  transferRow,
  waitForStatus,
} from './app-harness.js';

/** Generous: a first start builds the renderer, and the machine is shared. No assertion depends on speed. */
const TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 180_000;

/*
 * A large send driven through the page the browser host serves: chosen in the host's own chooser,
 * followed in the transfers panel, paused and resumed, and carried across a crash of the host. The
 * engine talks to the stack through tests/support/media-proxy.ts, which only forwards (and, here,
 * releases upload bytes at a bounded rate so that "mid-upload" lasts long enough to act in on any
 * machine); sign-in and every request still reach Synapse and the media server behind nginx.
 */

const MB = 1024 * 1024;
const BIG = 'holiday-footage.bin';
const BIG_SIZE = 300 * MB;
const MEDIUM_SIZE = 96 * MB;

describe('sending large files from the browser host', () => {
  let stack: StackInfo;
  let recipient: MatrixUser;
  let browser: Browser;
  let fixtures: string;
  let bigSource: string;
  let mediumSource: string;
  let proxy: MediaProxy;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    stack = await ensureStack();
    recipient = await registerUser(stack);
    fixtures = await mkdtemp(join(tmpdir(), 'slipstream-ui-fixtures-'));
    [bigSource, mediumSource] = await Promise.all([
      makeSampleFile(join(fixtures, BIG), BIG_SIZE),
      makeSampleFile(join(fixtures, 'medium.bin'), MEDIUM_SIZE),
    ]);
    proxy = await startMediaProxy({ upstream: stack.baseUrl });
    browser = await launchChromium();
  }, START_TIMEOUT_MS);

  afterEach(async () => {
    proxy.options.uploadBytesPerSecond = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await rm(fixtures, { recursive: true, force: true });
  });

  /** A fresh host whose home holds `files` (hard links to the fixtures), with a fresh user signed in. */
  async function signedInApp(name: string, files: Record<string, string>) {
    const folders: AppFolders = await makeAppFolders(name);
    cleanups.push(() => folders.remove());
    for (const [fileName, source] of Object.entries(files)) await link(source, join(folders.home, fileName));
    const host = await startHost(folders);
    let current: HostProcess = host;
    cleanups.push(() => current.stop());
    const user = await registerUser(stack);
    const { page, errors } = await openApp(browser, host.url);
    cleanups.push(() => page.context().close());
    await signIn(page, proxy.url, user);
    await createRoomInUi(page, `${name} room`);
    return {
      folders,
      page,
      errors,
      get host() {
        return current;
      },
      replaceHost(next: HostProcess) {
        current = next;
      },
    };
  }

  async function chooseAndSend(page: Page, fileNames: string[]) {
    await page.getByRole('button', { name: 'Send files' }).click();
    const chooser = page.getByRole('dialog', { name: 'Choose files to send' });
    await chooser.waitFor();
    for (const fileName of fileNames) await chooser.getByRole('checkbox', { name: fileName }).check();
    await chooser.getByRole('button', { name: `Send ${fileNames.length} file` }).click();
    await chooser.waitFor({ state: 'detached' });
  }

  it('sends a 300 MB file chosen in the host’s chooser: the bar moves up to Completed, and the CLI downloads the same bytes', async () => {
    const { page, errors, host, folders } = await signedInApp('big-send', { [BIG]: bigSource });
    proxy.options.uploadBytesPerSecond = 40 * MB;

    // The chooser is a modal dialog: it opens in home, lists the file with its size, and Escape closes it.
    const sendButton = page.getByRole('button', { name: 'Send files' });
    await sendButton.click();
    const chooser = page.getByRole('dialog', { name: 'Choose files to send' });
    await chooser.getByRole('checkbox', { name: BIG }).waitFor();
    expect(await chooser.getByRole('row', { name: new RegExp(BIG) }).textContent()).toContain('300 MB');
    const here = chooser.getByRole('navigation', { name: 'Current folder' }).getByRole('button', { name: 'Home' });
    expect(await here.getAttribute('aria-current')).toBe('location');
    expect(await here.getAttribute('title')).toBe(folders.home);
    await screenshot(page, 'chooser-open');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'chooser-open-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Escape');
    await chooser.waitFor({ state: 'detached' });
    expect(await isFocused(sendButton)).toBe(true);
    expect(await page.getByRole('list', { name: 'Transfers' }).count()).toBe(0);

    await chooseAndSend(page, [BIG]);
    const row = transferRow(page, BIG);
    await waitForStatus(row, 'Uploading', 60_000);
    expect(await row.textContent()).toContain('Outgoing');
    const bar = progressBar(page, BIG);
    expect(await progressMax(bar)).toBe(BIG_SIZE);

    let shotMidUpload = false;
    const seen = await sampleProgress(bar, async () => {
      const status = await statusNow(row);
      if (!shotMidUpload && status === 'Uploading') {
        const value = await progressValue(bar);
        if (value > BIG_SIZE * 0.1) {
          shotMidUpload = true;
          expect(await row.textContent()).toMatch(/\d+ %/);
          expect(await row.textContent()).toMatch(/Uploading · [\d.]+ MB of 300 MB · [\d.]+ MB\/s/);
          await screenshot(page, 'transfers-mid-upload');
          await page.emulateMedia({ colorScheme: 'dark' });
          await screenshot(page, 'transfers-mid-upload-dark');
          await page.emulateMedia({ colorScheme: 'light' });
          await page.setViewportSize({ width: 700, height: 760 });
          expect(await overflowsSideways(page)).toBe(false);
          await screenshot(page, 'transfers-mid-upload-narrow');
          await page.setViewportSize({ width: 1100, height: 760 });
        }
      }
      return status.startsWith('Completed') || status.startsWith('Failed');
    });
    await waitForStatus(row, 'Completed');
    expect(shotMidUpload).toBe(true);
    // Several distinct values on the way, each larger than the one before, ending full.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (let index = 1; index < seen.length; index += 1) expect(seen[index]!).toBeGreaterThan(seen[index - 1]!);
    expect(seen.at(-1)).toBe(BIG_SIZE);
    expect(await row.textContent()).toContain('100 %');
    // Completed sends offer what fits: no Open (that is for received files), Show in folder, Remove.
    expect(await row.getByRole('button').allTextContents()).toEqual(['Show in folder', 'Remove from list']);
    await screenshot(page, 'transfers-completed');

    const content = await sentContent(host.url, BIG);
    expect(content).toMatchObject({ filename: BIG, info: { size: BIG_SIZE } });
    expect(await downloadWithCli(stack, recipient, content, folders.root)).toBe(await sha256OfFile(bigSource));
    expect(errors).toEqual([]);
  });

  it(
    'pauses and resumes a send: the bar stands still while Paused, and the send completes after Resume',
    async () => {
      const { page, errors, host, folders } = await signedInApp('pause', { 'medium.bin': mediumSource });
      proxy.options.uploadBytesPerSecond = 12 * MB;
      await chooseAndSend(page, ['medium.bin']);
      const row = transferRow(page, 'medium.bin');
      const bar = progressBar(page, 'medium.bin');
      await expect.poll(() => progressValue(bar), { timeout: 60_000 }).toBeGreaterThan(MEDIUM_SIZE * 0.1);

      await row.getByRole('button', { name: 'Pause' }).click();
      await waitForStatus(row, 'Paused', 30_000);
      expect(await row.getByRole('button').allTextContents()).toEqual(['Resume', 'Cancel']);
      const pausedAt = await progressValue(bar);
      expect(pausedAt).toBeLessThan(MEDIUM_SIZE);
      expect(await row.locator('.status').textContent()).toMatch(/^Paused at [\d.]+ MB of 96 MB$/);
      await screenshot(page, 'transfers-paused');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'transfers-paused-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      // Said to screen readers too, once, without reading out every step of the bar.
      expect(await page.getByText('medium.bin: Paused', { exact: true }).count()).toBe(1);
      // Still paused a while later, at the same place.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await progressValue(bar)).toBe(pausedAt);
      expect(await statusNow(row)).toBe('Paused');

      proxy.options.uploadBytesPerSecond = undefined;
      await row.getByRole('button', { name: 'Resume' }).click();
      await waitForStatus(row, 'Completed');
      expect(await progressValue(bar)).toBe(MEDIUM_SIZE);

      const content = await sentContent(host.url, 'medium.bin');
      expect(await downloadWithCli(stack, recipient, content, folders.root)).toBe(await sha256OfFile(mediumSource));
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'cancels a send only after asking, then offers only Remove from list',
    async () => {
      const { page, errors, host } = await signedInApp('cancel', { 'medium.bin': mediumSource });
      proxy.options.uploadBytesPerSecond = 8 * MB;
      await chooseAndSend(page, ['medium.bin']);
      const row = transferRow(page, 'medium.bin');
      await waitForStatus(row, 'Uploading', 60_000);

      await row.getByRole('button', { name: 'Cancel' }).click();
      const question = page.getByRole('alertdialog', { name: 'Cancel sending medium.bin?' });
      await question.waitFor();
      expect(await question.textContent()).toContain(
        'The upload stops and cannot be resumed; you would have to send the file again. Anyone who already has its link can no longer download it.',
      );
      expect(await isFocused(question.getByRole('button', { name: 'Keep going' }))).toBe(true);
      await screenshot(page, 'cancel-confirmation');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'cancel-confirmation-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await question.getByRole('button', { name: 'Keep going' }).click();
      await question.waitFor({ state: 'detached' });
      expect(await statusNow(row)).toMatch(/^Uploading/);

      await row.getByRole('button', { name: 'Cancel' }).click();
      await question.getByRole('button', { name: 'Cancel transfer' }).click();
      await waitForStatus(row, 'Cancelled', 30_000);
      expect(await row.getByRole('button').allTextContents()).toEqual(['Remove from list']);
      await screenshot(page, 'transfers-cancelled');
      await row.getByRole('button', { name: 'Remove from list: medium.bin' }).click();
      await row.waitFor({ state: 'detached' });
      const contract = await connectToHost(host.url);
      expect(await contract.listTransfers()).toEqual([]);
      contract.disconnect();
      expect(errors).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'resumes a send on its own after the host process is killed and started again on the same data',
    async () => {
      const app = await signedInApp('restart', { 'medium.bin': mediumSource });
      const { page, folders } = app;
      proxy.options.uploadBytesPerSecond = 12 * MB;
      await chooseAndSend(page, ['medium.bin']);
      const bar = progressBar(page, 'medium.bin');
      await expect.poll(() => progressValue(bar), { timeout: 60_000 }).toBeGreaterThan(MEDIUM_SIZE * 0.1);
      const port = app.host.port;

      await app.host.kill();
      // The page says what happened, in words, rather than spinning.
      await page.getByText('Lost the connection to Slipstream').waitFor({ timeout: 30_000 });
      // The row says where it stood, with no rate or time left that nobody measures any more.
      const row = transferRow(page, 'medium.bin');
      await waitForStatus(row, '\\d+ % when the connection was lost', 10_000);
      expect(await row.textContent()).not.toMatch(/MB\/s|left/);
      await screenshot(page, 'host-reconnecting');
      const restarted = await startHost(folders, { port });
      app.replaceHost(restarted);
      const banner = page
        .getByRole('alert')
        .filter({ hasText: 'Slipstream was restarted, so this page has stopped working.' });
      await banner.waitFor({ timeout: 60_000 });
      await screenshot(page, 'host-restarted');

      proxy.options.uploadBytesPerSecond = undefined;
      await page.goto(restarted.url);
      // No click: the host resumed the interrupted upload when it started.
      await waitForStatus(row, 'Completed');
      expect(await progressValue(bar)).toBe(MEDIUM_SIZE);
      expect(restarted.log()).toMatch(/resuming 1 interrupted transfer/);

      const content = await sentContent(restarted.url, 'medium.bin');
      expect(await downloadWithCli(stack, recipient, content, folders.root)).toBe(await sha256OfFile(mediumSource));
    },
    TIMEOUT_MS,
  );
});
