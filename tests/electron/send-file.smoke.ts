import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleFile } from '../../scripts/lib/sample-file.js';
import { recordPageErrors } from '../support/browser.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from '../support/stack.js';
import { createRoomInUi, fileCard, signIn, transferRow, waitForStatus } from '../browser/app-harness.js';
import { findElectron, type LaunchedApp, launchPackedApp, packTestBuild } from './packaged-app.js';

/*
 * The packaged desktop app, end to end: a test build (hardened fuses but for the inspect one) packed
 * around the installed Electron, launched by Playwright, signed in to the local stack, sending a small
 * file into a room until the transfer completes. `npm run test:electron` runs it where Electron's binary
 * is installed; `npm test` never collects it (its files end in .smoke.ts). SLIPSTREAM_ELECTRON_APP
 * names an already packed test build's executable instead of packing one.
 */

const electron = findElectron();
const givenApp = process.env['SLIPSTREAM_ELECTRON_APP'];
const skipReason = givenApp === undefined && 'missing' in electron ? electron.missing : undefined;
const ROOM = 'Electron smoke';
const FILE_NAME = 'smoke sample.bin';
const FILE_SIZE = 3 * 1024 * 1024;

if (skipReason) console.warn(`tests/electron: skipped, ${skipReason}`);

async function testBuildExecutable(): Promise<string> {
  if (givenApp !== undefined) return givenApp;
  if ('missing' in electron) throw new Error(electron.missing);
  return packTestBuild(electron.dist, (line) => console.error(`pack: ${line}`));
}

describe.skipIf(skipReason !== undefined)(
  skipReason ? `the packaged app (skipped: ${skipReason})` : 'the packaged app, driven by Playwright',
  () => {
    let stack: StackInfo;
    let user: MatrixUser;
    let executable: string;
    let launched: LaunchedApp;
    let page: Page;
    let errors: string[];
    let scratch: string;

    beforeAll(async () => {
      stack = await ensureStack();
      user = await registerUser(stack);
      scratch = await mkdtemp(path.join(tmpdir(), 'slipstream-electron-files-'));
      executable = await testBuildExecutable();
      launched = await launchPackedApp(executable);
      page = await launched.electronApp.firstWindow();
      errors = recordPageErrors(page);
      await page.getByRole('heading', { name: 'Slipstream', level: 1 }).waitFor();
    });

    afterAll(async () => {
      await launched?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('is a test build: fuses hardened, the inspect fuse alone left on for Playwright', async () => {
      // The executable on Linux and Windows; @electron/fuses finds the framework from a macOS bundle's.
      const wire = await getCurrentFuseWire(executable);
      expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
      expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
      expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
      expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.ENABLE);
      expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
      expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    });

    it('runs packaged from its app.asar, on the profile it was given, showing the renderer from its own scheme', async () => {
      const where = await launched.electronApp.evaluate(({ app }) => ({
        packaged: app.isPackaged,
        appPath: app.getAppPath(),
        userData: app.getPath('userData'),
      }));
      expect(where.packaged).toBe(true);
      expect(path.basename(where.appPath)).toBe('app.asar');
      expect(path.resolve(where.userData)).toBe(path.resolve(launched.userDataDir));
      expect(page.url()).toMatch(/^slipstream-app:\/\/renderer\//);
    });

    it('signs in to the local stack, sends a small file into a new room, and sees the transfer complete', async () => {
      const file = await makeSampleFile(path.join(scratch, FILE_NAME), FILE_SIZE);
      await signIn(page, stack.baseUrl, user);
      await createRoomInUi(page, ROOM);
      // The system's file dialog cannot be driven; main's dialog answers with the file instead, and
      // everything after it (the grant, sendFile, the engine's upload, the room event) runs as it would.
      await launched.electronApp.evaluate(({ dialog }, chosen) => {
        dialog.showOpenDialog = (async () => ({
          canceled: false,
          filePaths: [chosen],
        })) as unknown as typeof dialog.showOpenDialog;
      }, file);
      await page.getByRole('button', { name: 'Send files…' }).click();
      await fileCard(page, ROOM, FILE_NAME).waitFor({ timeout: 60_000 });
      await waitForStatus(transferRow(page, FILE_NAME), 'Completed', 120_000);
      expect(errors).toEqual([]);
    });
  },
);
