import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startBrowserApp, startElectronApp } from '../scripts/demo-app/app-launch.js';
import type { DemoAccounts } from '../scripts/demo-app/demo-accounts.js';
import { joinedMembers, matrixCall, MEGOLM, roomEncryption, signIn, signOut } from '../scripts/demo-app/matrix-api.js';
import { appFolderOf, demoPaths, type DemoSetup, prepareDemo } from '../scripts/demo-app/prepare-demo.js';
import { ensureStack, type StackInfo } from './support/stack.js';

/*
 * `npm run demo`'s unattended part against the real local stack: what it prints lets Alice and Bob sign
 * in, they share an encrypted room, the sample video is H.264/AAC with its index first, a second run
 * reuses all of it, and a browser host starts for each, on the port it had before, and answers its address.
 */

const run = promisify(execFile);

/** The accounts as the demo printed them: "  Alice  username alice-1a2b3c  password …". */
function printedAccounts(lines: readonly string[]): Map<string, { username: string; password: string }> {
  const accounts = new Map<string, { username: string; password: string }>();
  for (const line of lines) {
    const match = /^\s+(Alice|Bob)\s+username (\S+)\s+password (\S+)$/.exec(line);
    if (match) accounts.set(match[1]!, { username: match[2]!, password: match[3]! });
  }
  return accounts;
}

/** The top-level boxes of an MP4 in its first 64 KiB, in order. */
async function leadingBoxes(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    const boxes: string[] = [];
    for (let offset = 0; offset + 8 <= bytesRead;) {
      boxes.push(buffer.toString('latin1', offset + 4, offset + 8));
      const size = buffer.readUInt32BE(offset);
      if (size < 8) break;
      offset += size;
    }
    return boxes;
  } finally {
    await handle.close();
  }
}

describe('npm run demo: Alice, Bob, their room and a video', () => {
  let stack: StackInfo;
  let demoDir: string;
  let setup: DemoSetup;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    stack = await ensureStack();
    demoDir = await mkdtemp(join(tmpdir(), 'slipstream-demo-'));
    setup = await prepareDemo(stack, { demoDir });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    if (demoDir) await rm(demoDir, { recursive: true, force: true });
  });

  it('prints two accounts, Alice and Bob, that sign in with the printed passwords', async () => {
    const printed = printedAccounts(setup.lines);
    expect([...printed.keys()]).toEqual(['Alice', 'Bob']);
    expect(setup.lines.join('\n')).toContain(stack.baseUrl);
    for (const person of [setup.alice, setup.bob]) {
      const { username, password } = printed.get(person.name)!;
      const session = await signIn(stack.baseUrl, username, password);
      expect(session.userId).toBe(person.userId);
      const profile = await matrixCall<{ displayname?: string }>(
        session,
        'GET',
        `/profile/${encodeURIComponent(session.userId)}`,
      );
      expect(profile.displayname).toBe(person.name);
      await signOut(session);
    }
  });

  it('puts them in one room, encrypted, both joined', async () => {
    const alice = await signIn(stack.baseUrl, setup.alice.username, setup.alice.password);
    const bob = await signIn(stack.baseUrl, setup.bob.username, setup.bob.password);
    try {
      expect((await joinedMembers(bob, setup.roomId)).sort()).toEqual([alice.userId, bob.userId].sort());
      expect(await roomEncryption(bob, setup.roomId)).toBe(MEGOLM);
      const { name } = await matrixCall<{ name: string }>(
        alice,
        'GET',
        `/rooms/${encodeURIComponent(setup.roomId)}/state/m.room.name/`,
      );
      expect(name).toBe('Slipstream demo');
    } finally {
      await Promise.all([alice, bob].map(signOut));
    }
  });

  it('leaves an H.264/AAC MP4 of 30–60 s with its index first, and prints where', async () => {
    expect(setup.video.startsWith(demoPaths(demoDir).videos)).toBe(true);
    expect(setup.lines.some((line) => line.endsWith(setup.video))).toBe(true);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name:format=duration',
      '-of',
      'json',
      setup.video,
    ]);
    const probe = JSON.parse(stdout) as {
      streams: { codec_type: string; codec_name: string }[];
      format: { duration: string };
    };
    expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(30);
    expect(Number(probe.format.duration)).toBeLessThanOrEqual(60);
    const { size } = await stat(setup.video);
    expect(size).toBeGreaterThan(10e6);
    expect(size).toBeLessThan(100e6);
    // +faststart: the index (moov) before the media (mdat), so playing can start from the first bytes.
    const boxes = await leadingBoxes(setup.video);
    expect(boxes).toContain('moov');
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.includes('mdat') ? boxes.indexOf('mdat') : Infinity);
  });

  it('reuses the accounts, the room and the video on a second run', async () => {
    const { mtimeMs } = await stat(setup.video);
    const again = await prepareDemo(stack, { demoDir });
    expect(again.peopleReused && again.roomReused).toBe(true);
    expect([again.alice, again.bob, again.roomId]).toEqual([setup.alice, setup.bob, setup.roomId]);
    expect((await stat(again.video)).mtimeMs).toBe(mtimeMs);
    expect(printedAccounts(again.lines)).toEqual(printedAccounts(setup.lines));
  });

  it('makes new accounts and a new room when the saved ones no longer sign in, dropping their app data', async () => {
    const file = demoPaths(demoDir).accounts;
    const saved = JSON.parse(await readFile(file, 'utf8')) as DemoAccounts;
    // As after `npm run stack -- clean`: the homeserver no longer accepts what was saved.
    await writeFile(file, JSON.stringify({ ...saved, alice: { ...saved.alice, password: 'not-any-more' } }));
    const oldAppData = appFolderOf(demoDir, saved.alice);
    await mkdir(oldAppData, { recursive: true });
    const fresh = await prepareDemo(stack, { demoDir });
    expect(fresh.peopleReused || fresh.roomReused).toBe(false);
    expect(fresh.alice.username).not.toBe(saved.alice.username);
    expect(fresh.roomId).not.toBe(saved.roomId);
    await expect(stat(oldAppData)).rejects.toThrow();
    setup = fresh;
  });

  it('starts a browser host for each, with its own data, which answers its address', async () => {
    for (const person of [setup.alice, setup.bob]) {
      const folder = appFolderOf(demoDir, person);
      apps.push(
        await startBrowserApp(person, {
          dataDir: join(folder, 'browser'),
          folders: [demoPaths(demoDir).videos],
          logFile: join(folder, 'browser-host.log'),
        }),
      );
    }
    const ports = apps.map((app) => Number(new URL(app.url!).port));
    expect(ports[0]).not.toBe(ports[1]);
    for (const app of apps) {
      expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/open\?key=/);
      // The page trades the launch key for its session cookie, then loads the app.
      const opened = await fetch(app.url!, { redirect: 'manual' });
      expect(opened.status).toBe(303);
      const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(new URL('/', app.url), { headers: { Cookie: cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
    }
    await Promise.all(apps.map((app) => app.stop()));
    expect(await Promise.all(apps.map((app) => app.exited))).toEqual([0, 0]);
  });

  it('starts Electron, where it is installed, once per person with a user-data directory of its own', async () => {
    // A stand-in for Electron's binary (not installable here) that records how it was started.
    const electron = join(demoDir, 'fake-electron');
    await writeFile(
      electron,
      '#!/bin/sh\necho "args: $*"\ntrap \'echo stopping; exit 0\' TERM\nwhile :; do sleep 0.1; done\n',
      { mode: 0o755 },
    );
    const started: RunningApp[] = [];
    for (const person of [setup.alice, setup.bob]) {
      const folder = appFolderOf(demoDir, person);
      started.push(
        await startElectronApp(person, {
          electron,
          userDataDir: join(folder, 'electron'),
          logFile: join(folder, 'electron.log'),
        }),
      );
    }
    apps.push(...started);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(started.map((app) => app.stop()));
    expect(await Promise.all(started.map((app) => app.exited))).toEqual([0, 0]);
    for (const app of started) {
      const log = await readFile(app.logFile, 'utf8');
      expect(log).toContain(`args: . --user-data-dir=${join(appFolderOf(demoDir, app.person), 'electron')}\n`);
      expect(log).toContain('stopping');
    }
  });
});
