import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';

/*
 * `npm run build:app`: the desktop app as electron-builder packages it (electron-builder.yml's
 * `files`, `extraMetadata.main`). Three esbuild bundles, then the renderer with Vite:
 *
 *   dist/electron/main.js         Electron's main process (ES module)
 *   dist/electron/engine-host.js  the transfer engine's utility process (ES module)
 *   dist/electron/preload.cjs     the preload: one CommonJS file, since a sandboxed preload can load
 *                                 neither ES modules nor any file but 'electron'
 *   dist/renderer/                vite.config.ts
 *
 * Everything is bundled but Electron and packages with native code, which load from node_modules
 * (electron-builder packs the production dependencies). The codec's own native cipher is not used in
 * Electron (main/core/codec/native-cipher-addon.ts: Electron links BoringSSL), so nothing of it is
 * copied beside the bundles; node:crypto does the work there.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const ELECTRON_OUT_DIR = path.join(repoRoot, 'dist/electron');
export const APP_BUNDLES = { main: 'main.js', engineHost: 'engine-host.js', preload: 'preload.cjs' } as const;
export type AppBundle = keyof typeof APP_BUNDLES;

/** Packages with native code: left for Node's resolver to find in node_modules at run time. */
export const NATIVE_PACKAGES = ['@node-rs/crc32'];

const ENTRY_POINTS: Record<AppBundle, string> = {
  main: 'main/electron/main.ts',
  engineHost: 'main/electron/engine-host-entry.ts',
  preload: 'preload/index.ts',
};

/** Electron 41's Node and Chromium. */
const NODE_TARGET = 'node22';
const CHROME_TARGET = 'chrome130';

function optionsFor(bundle: AppBundle, outDir: string): BuildOptions {
  const common: BuildOptions = {
    absWorkingDir: repoRoot,
    entryPoints: [ENTRY_POINTS[bundle]],
    outfile: path.join(outDir, APP_BUNDLES[bundle]),
    bundle: true,
    metafile: true,
    logLevel: 'warning',
  };
  if (bundle === 'preload') {
    return { ...common, format: 'cjs', platform: 'browser', target: CHROME_TARGET, external: ['electron'] };
  }
  return {
    ...common,
    format: 'esm',
    platform: 'node',
    target: NODE_TARGET,
    external: ['electron', ...NATIVE_PACKAGES],
    // CommonJS packages inside an ES module bundle need a require of their own.
    banner: {
      js: "import { createRequire as slipstreamCreateRequire } from 'node:module'; const require = slipstreamCreateRequire(import.meta.url);",
    },
  };
}

/** Builds the three Electron bundles into `outDir` (emptied first); returns esbuild's account of each. */
export async function buildElectronBundles(outDir = ELECTRON_OUT_DIR): Promise<Record<AppBundle, Metafile>> {
  await rm(outDir, { recursive: true, force: true });
  const bundles = Object.keys(APP_BUNDLES) as AppBundle[];
  const results = await Promise.all(bundles.map((bundle) => build(optionsFor(bundle, outDir))));
  return Object.fromEntries(bundles.map((bundle, index) => [bundle, results[index]!.metafile!])) as Record<
    AppBundle,
    Metafile
  >;
}

async function main(): Promise<void> {
  await buildElectronBundles();
  console.log(`build:app: ${Object.values(APP_BUNDLES).join(', ')} in ${path.relative(repoRoot, ELECTRON_OUT_DIR)}/`);
  const { build: buildRenderer } = await import('vite');
  await buildRenderer({ configFile: path.join(repoRoot, 'vite.config.ts'), logLevel: 'warn' });
  console.log('build:app: the renderer in dist/renderer/');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`build:app failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
