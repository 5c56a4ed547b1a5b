import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { connectToHost, type HostProcess } from '../support/browser-host.js';
import { runCli } from '../support/cli.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from '../support/stack.js';
import { sha256OfFile } from '../../scripts/lib/sample-file.js';

/*
 * What the browser-hosted UI tests share: a host of their own on fresh folders, a page opened through
 * the address it printed, signing in through the form, and finding a transfer's row, bar and status by
 * role and accessible name, as a person using a screen reader would.
 */

export {
  acceptInvitation,
  type AppFolders,
  chooseAndSend,
  createRoomInUi,
  fileCard,
  fillSignIn,
  makeAppFolders,
  type OpenedPage,
  openApp,
  type Person,
  roomMessages,
  screenshot,
  signIn,
  startHost,
  startPerson,
} from '../support/app-people.js';
import { type AppFolders, makeAppFolders, type Person, screenshot, startHost } from '../support/app-people.js';

/**
 * For a test file of several people: a failed step leaves each window as it was (a screenshot named
 * `<prefix>-failed-<name>`) and prints what its page logged last, for whoever reads the failure.
 */
export function keepFailureEvidence(prefix: string, people: () => Record<string, Person | undefined>): void {
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const [name, person] of Object.entries(people())) {
      if (!person) continue;
      await screenshot(person.page, `${prefix}-failed-${name}`).catch(() => undefined);
      console.log(`${name}'s page logged:`, person.errors.slice(-10));
    }
  });
}

/** Generous: a first start builds the renderer, and the machine is shared. No assertion depends on speed. */
export const UI_TIMEOUT_MS = 180_000;

/** What a UI test file works with; read the fields inside tests (they are filled in `beforeAll`). */
export interface AppUnderTest {
  readonly stack: StackInfo;
  readonly user: MatrixUser;
  readonly folders: AppFolders;
  readonly host: HostProcess;
  readonly browser: Browser;
}

export interface AppUnderTestOptions {
  /** Puts the test's files in place before the host starts; may name files for its command line. */
  readonly prepare?: (folders: AppFolders) => Promise<{ readonly files?: readonly string[] } | void>;
}

/**
 * For a test file: the stack, a registered user, fresh folders, a host of its own on them and Chromium,
 * set up before the tests and torn down after.
 */
export function useAppUnderTest(prefix: string, options: AppUnderTestOptions = {}): AppUnderTest {
  const app = {} as { -readonly [Key in keyof AppUnderTest]: AppUnderTest[Key] };
  beforeAll(async () => {
    app.stack = await ensureStack();
    app.user = await registerUser(app.stack);
    app.folders = await makeAppFolders(prefix);
    const prepared = (await options.prepare?.(app.folders)) ?? {};
    app.host = await startHost(app.folders, { ...(prepared.files && { files: prepared.files }) });
    app.browser = await launchChromium();
  }, UI_TIMEOUT_MS);
  afterAll(async () => {
    await app.browser?.close();
    await app.host?.stop();
    await app.folders?.remove();
  });
  return app;
}

/** A transfer's row in the panel, by its file name. */
export function transferRow(page: Page, fileName: string): Locator {
  return page.getByRole('list', { name: 'Transfers' }).getByRole('listitem', { name: fileName, exact: true });
}

export function progressBar(page: Page, fileName: string): Locator {
  return page.getByRole('progressbar', { name: `Progress of ${fileName}`, exact: true });
}

/** The DOM as the page sees it; these tests are type-checked without the DOM library. */
interface ProgressElement {
  readonly value: number;
  readonly max: number;
}

export async function progressValue(bar: Locator): Promise<number> {
  return bar.evaluate((element) => (element as unknown as ProgressElement).value);
}

/** The bar's value now, or undefined when it is not on the page (without waiting for it to appear). */
export async function progressValueNow(bar: Locator): Promise<number | undefined> {
  const values = await bar.evaluateAll((elements) =>
    elements.map((element) => (element as unknown as ProgressElement).value),
  );
  return values[0];
}

/** The row's status words now ("" when the row is not on the page), without waiting. */
export async function statusNow(row: Locator): Promise<string> {
  return (await row.locator('.status-words').allTextContents())[0] ?? '';
}

export async function progressMax(bar: Locator): Promise<number> {
  return bar.evaluate((element) => (element as unknown as ProgressElement).max);
}

/** Whether keyboard focus is on this element. */
export async function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (element) =>
      element === (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
  );
}

/** Waits until the row's status line reads `status` (its first words: "Completed", "Paused", …). */
export async function waitForStatus(row: Locator, status: string, timeout = 120_000): Promise<void> {
  await expect.poll(() => statusNow(row), { timeout, interval: 100 }).toMatch(new RegExp(`^${status}`));
}

/**
 * Reads a progress bar every `interval` ms until `until` says stop, and returns the distinct values
 * seen, in order: a bar that moves gives several, each larger than the one before.
 */
export async function sampleProgress(bar: Locator, until: () => Promise<boolean>, interval = 150): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const value = await progressValueNow(bar);
    if (value !== undefined && value !== seen.at(-1)) seen.push(value);
    if (await until()) return seen;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** The event content of the send of `fileName`, read through the contract as a room event would carry it. */
export async function sentContent(hostUrl: string, fileName: string): Promise<Record<string, unknown>> {
  const contract = await connectToHost(hostUrl);
  try {
    const transfers = await contract.listTransfers();
    const sent = transfers.find((transfer) => transfer.direction === 'send' && transfer.fileName === fileName);
    if (!sent)
      throw new Error(`no send of ${fileName} among ${transfers.map((transfer) => transfer.fileName).join(', ')}`);
    return (await contract.transferContent({ id: sent.id })) as unknown as Record<string, unknown>;
  } finally {
    contract.disconnect();
  }
}

/**
 * Downloads what an event content describes with `slipstream download`, as another user of the
 * stack, and returns the SHA-256 of the file it saved.
 */
export async function downloadWithCli(
  stack: StackInfo,
  recipient: MatrixUser,
  content: Record<string, unknown>,
  scratch: string,
): Promise<string> {
  const out = join(scratch, `cli-download-${Date.now()}`);
  await mkdir(out, { recursive: true });
  const result = await runCli(
    [
      'download',
      '--file-json',
      '-',
      '--homeserver',
      stack.baseUrl,
      '--token',
      recipient.accessToken,
      '--out',
      out,
      '--json',
      '--state-dir',
      join(scratch, 'cli-state'),
    ],
    { stdin: Buffer.from(JSON.stringify(content)), timeoutMs: 300_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  const { savedPath } = JSON.parse(result.stdout.toString('utf8')) as { savedPath: string };
  return sha256OfFile(savedPath);
}

/** Whether the page scrolls sideways: at any supported width, nothing may be cut off or pushed out. */
export async function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(
    `document.documentElement.scrollWidth > document.documentElement.clientWidth`,
  ) as Promise<boolean>;
}
