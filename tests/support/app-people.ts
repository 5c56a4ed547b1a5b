import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { recordPageErrors } from './browser.js';
import { type HostProcess, startHostProcess } from './browser-host.js';
import { type MatrixUser, registerUser } from '../../scripts/stack/users.js';
import type { StackInfo } from '../../scripts/stack/stack-info.js';

/*
 * People using the app in a browser, for the UI tests and the preview benchmark (so no test runner
 * here): a host of their own on fresh folders, a page opened through the address it printed, signing
 * in through the form, rooms and file cards found by role and accessible name.
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

/** Accepts the invitation to `roomName` from the room list and waits for the room to open. */
export async function acceptInvitation(page: Page, roomName: string): Promise<void> {
  const invitation = page.getByRole('listitem', { name: `Invitation to ${roomName}` });
  await invitation.getByRole('button', { name: 'Accept' }).click({ timeout: 60_000 });
  await page.getByRole('heading', { name: roomName, level: 2 }).waitFor({ timeout: 60_000 });
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
