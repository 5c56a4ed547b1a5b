import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STACK_DIR } from '../stack/paths.js';
import type { StackInfo } from '../stack/stack-info.js';
import { type DemoPerson, ensureDemoAccounts, type EnsuredAccounts, ROOM_NAME } from './demo-accounts.js';
import { ensureSampleVideo, SAMPLE_VIDEO_SECONDS } from './sample-video.js';

/*
 * The part of `npm run demo` that needs no one at the keyboard: Alice and Bob on the local stack, their
 * encrypted room, and a sample video to send. Everything it makes lives in one folder beside the
 * stack's data (SLIPSTREAM_STACK_DIR moves both):
 *
 *   accounts.json   the two accounts and the room (mode 0600: it holds the passwords)
 *   videos/         the sample video; the only folder the browser hosts' file chooser adds to home
 *   apps/<user>/    each person's app data: browser/ for the browser host, electron/ for Electron
 */

export const DEFAULT_DEMO_DIR = join(STACK_DIR, 'demo');

export function demoPaths(demoDir: string) {
  return {
    accounts: join(demoDir, 'accounts.json'),
    videos: join(demoDir, 'videos'),
    apps: join(demoDir, 'apps'),
  } as const;
}

/** One person's app data and logs. */
export function appFolderOf(demoDir: string, person: DemoPerson): string {
  return join(demoPaths(demoDir).apps, person.username);
}

export interface DemoSetup extends EnsuredAccounts {
  readonly demoDir: string;
  readonly video: string;
  /** What it printed, line by line. */
  readonly lines: readonly string[];
}

/** App data of accounts the demo no longer uses: their saved sessions belong to accounts that are gone. */
async function removeOtherAppData(demoDir: string, people: readonly DemoPerson[]): Promise<void> {
  const apps = demoPaths(demoDir).apps;
  const keep = new Set(people.map((person) => person.username));
  for (const entry of await readdir(apps).catch(() => [])) {
    if (!keep.has(entry)) await rm(join(apps, entry), { recursive: true, force: true });
  }
}

export interface PrepareOptions {
  readonly demoDir?: string;
  /** Each line as it is printed. */
  readonly say?: (line: string) => void;
}

export async function prepareDemo(stack: StackInfo, options: PrepareOptions = {}): Promise<DemoSetup> {
  const demoDir = options.demoDir ?? DEFAULT_DEMO_DIR;
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    options.say?.(line);
  };
  const paths = demoPaths(demoDir);
  // ffmpeg works while the accounts are made.
  const video = ensureSampleVideo(paths.videos, () =>
    print('Making the sample video with ffmpeg (only the first time; about ten seconds)...'),
  );
  video.catch(() => undefined); // awaited below; a failure of the accounts first must not leave it unhandled
  const accounts = await ensureDemoAccounts(stack, paths.accounts);
  await removeOtherAppData(demoDir, [accounts.alice, accounts.bob]);
  const { path } = await video;
  const megabytes = ((await stat(path)).size / 1e6).toFixed(0);

  const width = Math.max(accounts.alice.username.length, accounts.bob.username.length);
  print('');
  print(
    `${accounts.peopleReused ? 'Alice and Bob, the same accounts as last time,' : 'Two new accounts, Alice and Bob,'} ` +
      `on the local homeserver ${accounts.homeserverUrl}:`,
  );
  for (const person of [accounts.alice, accounts.bob]) {
    print(`  ${person.name.padEnd(5)}  username ${person.username.padEnd(width)}  password ${person.password}`);
  }
  print(
    `They share an end-to-end encrypted room, "${ROOM_NAME}"${accounts.roomReused ? ' (kept from last time)' : ''}.`,
  );
  print(`Sample video to send (${SAMPLE_VIDEO_SECONDS} s, ${megabytes} MB, H.264 and AAC): ${path}`);
  return { ...accounts, demoDir, video: path, lines };
}
