import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { flipFuses, type FuseV1Config, FuseV1Options, FuseVersion } from '@electron/fuses';
import { type AfterPackContext, Arch } from 'electron-builder';
import { NATIVE_PACKAGES } from './build-app.js';

/*
 * electron-builder's `afterPack` hook (electron-builder.yml), run on each packed app before it is signed
 * and put in an installer: it checks the app carries the native builds it loads for its own platform
 * and architecture, then burns Electron's fuses into the app's Electron binary, where no environment
 * variable or command-line switch can undo them at run time.
 *
 * `npm run dist` loads this TypeScript through tsx (package.json); electron-builder run by itself cannot.
 */

/** `SLIPSTREAM_TEST_BUILD=1` makes a build Playwright can drive: the one fuse it needs stays on. */
export const TEST_BUILD_VARIABLE = 'SLIPSTREAM_TEST_BUILD';

/**
 * What a release ships with. Each fuse closes a way to run code in the app that is not the app's:
 *   RunAsNode off            ELECTRON_RUN_AS_NODE would turn the signed binary into a plain Node (the
 *                            engine runs in a utilityProcess, which does not need it)
 *   NODE_OPTIONS off         --require of any file through the environment
 *   inspect arguments off    --inspect / SIGUSR1 would open a debugger on the main process
 *   only app.asar, checked   the app's code comes from its archive alone, whose hash is in the signed
 *                            binary (macOS and Windows check it; Linux has no such check yet)
 *   cookie encryption on     cookies on disk sealed with the OS keychain, as Chrome does
 * Fuses not named here keep Electron's default.
 */
const RELEASE_FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
} as const satisfies Partial<Record<FuseV1Options, boolean>>;

/** Whether the environment asks for a test build; anything but unset, '', '0' or '1' is a mistake worth stopping for. */
export function isTestBuild(env: NodeJS.ProcessEnv): boolean {
  const value = env[TEST_BUILD_VARIABLE] ?? '';
  if (value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`${TEST_BUILD_VARIABLE} must be 1 (a build for Playwright) or unset, not "${value}"`);
}

/** What one packed app is, in the terms the checks below need. */
export interface PackedApp {
  /** Node's name for the platform: darwin, linux, win32. */
  readonly platform: string;
  /** Node's name for the architecture: x64, arm64, … */
  readonly arch: string;
  /** What @electron/fuses edits: the executable, or the .app bundle on macOS. */
  readonly electronBinary: string;
  /** The folder holding app.asar and app.asar.unpacked. */
  readonly resourcesDir: string;
}

export function fuseConfigFor(app: Pick<PackedApp, 'platform' | 'arch'>, testBuild: boolean): FuseV1Config {
  return {
    version: FuseVersion.V1,
    ...RELEASE_FUSES,
    [FuseV1Options.EnableNodeCliInspectArguments]: testBuild,
    // Editing an arm64 macOS binary voids its ad-hoc signature, and arm64 Macs run nothing unsigned; an
    // identity configured for electron-builder signs the app properly after this hook.
    resetAdHocDarwinSignature: app.platform === 'darwin' && app.arch === 'arm64',
  };
}

/**
 * napi-rs packages load a per-platform package (`@node-rs/crc32-darwin-arm64`, `…-linux-x64-gnu`, …)
 * that npm installs for the running machine only. Packing for another architecture (a macOS x64 build
 * on an arm64 Mac) would ship an app whose engine cannot start, so that is refused here.
 */
export async function checkNativeBuilds(app: PackedApp, packages: readonly string[] = NATIVE_PACKAGES): Promise<void> {
  const napiArch = app.arch === 'armv7l' ? 'arm' : app.arch;
  for (const name of packages) {
    const scopeDir = path.dirname(name);
    const prefix = `${path.basename(name)}-${app.platform}-${napiArch}`;
    const found = await Promise.all(
      ['app.asar.unpacked', 'app'].map(async (root) => {
        const dir = path.join(app.resourcesDir, root, 'node_modules', scopeDir);
        const candidates = (await readdir(dir).catch(() => [] as string[])).filter((entry) => entry.startsWith(prefix));
        const holdsAddon = await Promise.all(
          candidates.map(async (entry) =>
            (await readdir(path.join(dir, entry)).catch(() => [] as string[])).some((file) => file.endsWith('.node')),
          ),
        );
        return holdsAddon.includes(true);
      }),
    );
    if (!found.includes(true)) {
      throw new Error(
        `the ${app.platform}-${app.arch} app would lack ${name}'s native build (${scopeDir}/${prefix}*), which npm ` +
          `installs only for the machine it runs on: build this architecture on a machine of its own, or install ` +
          `that package first (npm install --no-save --force ${scopeDir}/${prefix}…)`,
      );
    }
  }
}

export async function hardenFuses(app: PackedApp, env: NodeJS.ProcessEnv): Promise<FuseV1Config> {
  const testBuild = isTestBuild(env);
  const config = fuseConfigFor(app, testBuild);
  await flipFuses(app.electronBinary, config);
  return config;
}

function describePackedApp(context: AfterPackContext): PackedApp {
  const platform = context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName;
  const { productFilename } = context.packager.appInfo;
  const binaryName =
    platform === 'darwin'
      ? `${productFilename}.app`
      : platform === 'win32'
        ? `${productFilename}.exe`
        : // The Linux packager names its executable after the package (linux.executableName).
          (context.packager as unknown as { executableName: string }).executableName;
  return {
    platform,
    arch: Arch[context.arch],
    electronBinary: path.join(context.appOutDir, binaryName),
    resourcesDir: context.packager.getResourcesDir(context.appOutDir),
  };
}

export default async function afterPack(context: AfterPackContext): Promise<void> {
  const app = describePackedApp(context);
  await checkNativeBuilds(app);
  const config = await hardenFuses(app, process.env);
  const fuses = Object.entries(RELEASE_FUSES)
    .map(([option]) => `${FuseV1Options[Number(option)]} ${config[Number(option) as FuseV1Options] ? 'on' : 'off'}`)
    .join(', ');
  console.log(`  • fuses set  app=${path.basename(app.electronBinary)} ${fuses}`);
  if (isTestBuild(process.env)) {
    console.log(
      `  • ${TEST_BUILD_VARIABLE}=1: inspect arguments stay on so Playwright can drive the app; never ship it`,
    );
  }
}
