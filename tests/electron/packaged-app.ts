import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { _electron, type ElectronApplication } from 'playwright-core';
import { TEST_BUILD_VARIABLE } from '../../scripts/after-pack-fuses.js';

/*
 * The Electron smoke test's side of packaging: find Electron's binary, pack a test build of the app
 * around it (`npm run build`, then electron-builder's unpacked `--dir` target with
 * SLIPSTREAM_TEST_BUILD=1, which keeps the inspect fuse Playwright needs), and launch it on a profile
 * of its own.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const requireHere = createRequire(import.meta.url);

/** electron-builder.yml's productName; the Linux executable is named after package.json's name. */
const PRODUCT_NAME = 'Slipstream';
const LINUX_EXECUTABLE = 'slipstream';
/** Where the test build goes: beside the other caches, never in out/ with release installers. */
const TEST_BUILD_DIR = path.join(repoRoot, '.cache', 'electron-test-build');

export type ElectronInstall = { readonly dist: string } | { readonly missing: string };

/**
 * Electron's unpacked distribution, as the electron package's own index.js finds it (path.txt names the
 * executable inside dist/), or why there is none. Read directly: tests may not load 'electron'.
 */
export function findElectron(): ElectronInstall {
  const electronDir = path.join(repoRoot, 'node_modules', 'electron');
  const pathFile = path.join(electronDir, 'path.txt');
  const dist = process.env['ELECTRON_OVERRIDE_DIST_PATH'] ?? path.join(electronDir, 'dist');
  if (!existsSync(pathFile) || !existsSync(path.join(dist, readFileSync(pathFile, 'utf8')))) {
    return {
      missing:
        "Electron's binary is not installed (node_modules/electron/dist); `npm ci` without " +
        'ELECTRON_SKIP_BINARY_DOWNLOAD=1, or `node node_modules/electron/install.js`, downloads it',
    };
  }
  return { dist };
}

/** The executable inside an electron-builder `--dir` output (linux-unpacked/, mac-arm64/, win-unpacked/, …). */
export function packedExecutable(outDir: string): string {
  for (const entry of readdirSync(outDir)) {
    const candidate =
      process.platform === 'darwin'
        ? path.join(outDir, entry, `${PRODUCT_NAME}.app`, 'Contents', 'MacOS', PRODUCT_NAME)
        : path.join(outDir, entry, process.platform === 'win32' ? `${PRODUCT_NAME}.exe` : LINUX_EXECUTABLE);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`no packed ${PRODUCT_NAME} in ${outDir}`);
}

/**
 * Builds the bundles and packs a test build of this machine's platform and architecture around the
 * installed Electron (no download), unsigned. Returns its executable.
 */
export async function packTestBuild(electronDist: string, log: (line: string) => void): Promise<string> {
  const node = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    run(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024 });
  log('npm run build');
  await node([path.join(repoRoot, 'scripts', 'build-app.ts')]);
  log(`electron-builder --dir (${TEST_BUILD_VARIABLE}=1) into ${path.relative(repoRoot, TEST_BUILD_DIR)}/`);
  await rm(TEST_BUILD_DIR, { recursive: true, force: true });
  await node(
    [
      requireHere.resolve('electron-builder/cli.js'),
      '--dir',
      `-c.electronDist=${electronDist}`,
      `-c.directories.output=${TEST_BUILD_DIR}`,
      '-c.mac.identity=null',
    ],
    { ...process.env, [TEST_BUILD_VARIABLE]: '1' },
  );
  return packedExecutable(TEST_BUILD_DIR);
}

export interface LaunchedApp {
  readonly electronApp: ElectronApplication;
  /** The profile the app was given (Electron's userData), removed by `close`. */
  readonly userDataDir: string;
  close(): Promise<void>;
}

/**
 * Launches the packed app on a fresh profile, so it neither reads a real installation's session nor
 * meets its single-instance lock. Playwright adds --inspect=0 and --remote-debugging-port=0 itself.
 */
export async function launchPackedApp(executablePath: string): Promise<LaunchedApp> {
  const profile = await mkdtemp(path.join(tmpdir(), 'slipstream-electron-'));
  const userDataDir = path.join(profile, 'user-data');
  await mkdir(userDataDir);
  const args = [`--user-data-dir=${userDataDir}`];
  // No keyring prompts on a Linux desktop: the app falls back to its documented file store.
  if (process.platform === 'linux') args.push('--password-store=basic');
  const electronApp = await _electron.launch({ executablePath, args, timeout: 60_000 });
  return {
    electronApp,
    userDataDir,
    close: async () => {
      await electronApp.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
