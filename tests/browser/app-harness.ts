import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { recordPageErrors } from '../support/browser.js';
import { connectToHost, type HostProcess, startHostProcess } from '../support/browser-host.js';
import { runCli } from '../support/cli.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from '../support/stack.js';
import { sha256OfFile } from '../../scripts/lib/sample-file.js';

/*
 * What the browser-hosted UI tests share: a host of their own on fresh folders, a page opened through
 * the address it printed, signing in through the form, and finding a transfer's row, bar and status by
 * role and accessible name, as a person using a screen reader would.
 */

const SCREENSHOTS = fileURLToPath(new URL('../../.cache/screenshots/', import.meta.url));

/** A fresh data directory and a fresh HOME (what the host's chooser lists), removed afterwards. */
export interface AppFolders {
  readonly root: string;
  readonly dataDir: string;
  readonly home: string;
  remove(): Promise<void>;
}

export async function makeAppFolders(prefix: string): Promise<AppFolders> {
  const root = await mkdtemp(join(tmpdir(), `slipstream-ui-${prefix}-`));
  const dataDir = join(root, 'data');
  const home = join(root, 'home');
  await mkdir(dataDir);
  await mkdir(join(home, 'Downloads'), { recursive: true });
  return { root, dataDir, home, remove: () => rm(root, { recursive: true, force: true }) };
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

export async function startHost(
  folders: AppFolders,
  options: { port?: number; files?: readonly string[] } = {},
): Promise<HostProcess> {
  return startHostProcess({ dataDir: folders.dataDir, home: folders.home, ...options });
}

export interface OpenedPage {
  readonly page: Page;
  /** Uncaught exceptions and console errors seen so far. */
  readonly errors: string[];
}

/** A new page at the host's printed address: the key is traded for a cookie and the app is served. */
export async function openApp(
  browser: Browser,
  url: string,
  viewport = { width: 1100, height: 760 },
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = recordPageErrors(page);
  await page.goto(url);
  await page.getByRole('heading', { name: 'Slipstream', level: 1 }).waitFor();
  return { page, errors };
}

/** Fills the form in its order (username, then homeserver) and submits it. */
export async function fillSignIn(page: Page, homeserver: string, username: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username or Matrix ID' }).fill(username);
  await page.getByRole('textbox', { name: 'Homeserver' }).fill(homeserver);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in through the form and waits for the header to say who is signed in. */
export async function signIn(page: Page, homeserver: string, user: MatrixUser): Promise<void> {
  await fillSignIn(page, homeserver, user.username, user.password);
  await page.getByText(`Signed in as ${user.userId}`).waitFor({ timeout: 30_000 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** One person of a two-person test: their account, folders, host and page. */
export interface Person {
  readonly user: MatrixUser;
  readonly folders: AppFolders;
  host: HostProcess;
  page: Page;
  readonly errors: string[];
}

/**
 * A person with a new account, their own folders (holding `files`, hard-linked from where the test
 * made them, in their home), their own host, and a page signed in to `homeserver` (the stack, or a
 * proxy in front of it).
 */
export async function startPerson(
  browser: Browser,
  stack: StackInfo,
  name: string,
  files: Record<string, string>,
  homeserver: string,
): Promise<Person> {
  const user = await registerUser(stack);
  const folders = await makeAppFolders(name);
  for (const [fileName, source] of Object.entries(files)) await link(source, join(folders.home, fileName));
  const host = await startHost(folders);
  const { page, errors } = await openApp(browser, host.url);
  await signIn(page, homeserver, user);
  return { user, folders, host, page, errors };
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

/** Creates a room through the New room dialog (encrypted, as the dialog defaults to) and waits for it to open. */
export async function createRoomInUi(page: Page, name: string, invite: readonly string[] = []): Promise<void> {
  await page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: 'New room' }).click();
  const dialog = page.getByRole('dialog', { name: 'New room' });
  await dialog.getByRole('textbox', { name: 'Room name' }).fill(name);
  if (invite.length > 0) await dialog.getByRole('textbox', { name: /^Invite/ }).fill(invite.join(' '));
  await dialog.getByRole('button', { name: 'Create room' }).click();
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByRole('heading', { name, level: 2 }).waitFor({ timeout: 30_000 });
}

/** The open room's timeline. */
export function roomMessages(page: Page, roomName: string): Locator {
  return page.getByRole('list', { name: `Messages in ${roomName}` });
}

/** A file's card in the open room, by its file name. */
export function fileCard(page: Page, roomName: string, fileName: string): Locator {
  return roomMessages(page, roomName).getByRole('article', { name: fileName, exact: true });
}

/** Sends files from the host's chooser with the open room's Send files… button. */
export async function chooseAndSend(page: Page, fileNames: readonly string[]): Promise<void> {
  await page.getByRole('button', { name: 'Send files…' }).click();
  const chooser = page.getByRole('dialog', { name: 'Choose files to send' });
  await chooser.waitFor();
  for (const fileName of fileNames) await chooser.getByRole('checkbox', { name: fileName }).check();
  await chooser.getByRole('button', { name: `Send ${fileNames.length} file` }).click();
  await chooser.waitFor({ state: 'detached' });
}
