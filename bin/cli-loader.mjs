/**
 * Loads the CLI (cli/main.ts) for bin/slipstream, as fast as the checkout allows.
 *
 * Through tsx's loader every start costs 0.6–0.7 s before the first line of the CLI runs (resolving and
 * transforming some 150 TypeScript modules and their packages); one bundled file starts in about 0.2 s
 * (`slipstream --help`, three runs each, on the 2-core test machine). So the first run after any change
 * bundles the CLI with esbuild into `.cache/cli/<key>/` — the key covers the path, size and mtime of every
 * source file it can load and of package-lock.json, so an edit or an `npm ci` makes a new bundle — and
 * later runs import that bundle. Where esbuild is missing (an install without dev dependencies) or the
 * checkout cannot be written, or with SLIPSTREAM_CLI_FROM_SOURCE=1, it runs the TypeScript through tsx
 * as before; a bundle that fails to build does too, so the error shown is the source's own.
 *
 * The bundle holds the CLI and the codec's cipher worker side by side (the worker pool starts
 * `./cipher-worker.js` beside its own module), keeps native packages outside (they load from
 * node_modules as usual), and is told where the checkout's native cipher is, since the addon is found
 * beside its source module otherwise.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Everything the CLI can import from the checkout, and what decides the packages bundled with it. */
const SOURCE_DIRECTORIES = ['cli', 'main/core', 'server', 'shared'];
const SOURCE_FILES = ['bin/cli-loader.mjs', 'package-lock.json'];
const isSource = (name) => /\.(?:[cm]?[jt]sx?|json)$/.test(name) && !/\.test\.[cm]?[jt]sx?$/.test(name);
/**
 * Packages with native code, or that find files of their own at run time (vite builds the renderer for
 * `slipstream app`; ws has optional native helpers): loaded from node_modules.
 */
const EXTERNAL = ['better-sqlite3', 'sharp', '@node-rs/crc32', 'ws', 'vite'];
const NATIVE_CIPHER = join(root, 'main/core/codec/native/build/Release/msc4016_cipher.node');

function sourceKey() {
  const hash = createHash('sha256');
  const visit = (path) => {
    const stats = statSync(join(root, path));
    hash.update(`${path}\0${stats.size}\0${stats.mtimeMs}\0`);
  };
  const walk = (directory) => {
    for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'build') walk(path);
      else if (entry.isFile() && isSource(entry.name)) visit(path);
    }
  };
  SOURCE_DIRECTORIES.forEach(walk);
  SOURCE_FILES.forEach(visit);
  return hash.digest('hex').slice(0, 20);
}

async function buildBundle(directory) {
  const { build } = await import('esbuild');
  // Built beside its final place and renamed into it, so a concurrent first run never sees half a bundle.
  const staging = `${directory}.${process.pid}.tmp`;
  try {
    await build({
      absWorkingDir: root,
      entryPoints: { main: 'cli/main.ts', 'cipher-worker': 'main/core/codec/cipher-worker.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: staging,
      external: EXTERNAL,
      // CommonJS packages inside an ES module bundle need a require of their own.
      banner: {
        js: "import { createRequire as slipstreamCreateRequire } from 'node:module'; const require = slipstreamCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    try {
      renameSync(staging, directory);
    } catch (error) {
      // Another CLI started at the same moment put the same bundle there first.
      if (!existsSync(join(directory, 'main.js'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  // Bundles of older sources, a day after they were made (a long transfer may still start workers from one).
  const cache = join(directory, '..');
  for (const entry of readdirSync(cache)) {
    const path = join(cache, entry);
    try {
      if (path !== directory && Date.now() - statSync(path).mtimeMs > 86_400_000)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another CLI's clean-up.
    }
  }
}

async function fromBundle() {
  const directory = join(root, '.cache', 'cli', sourceKey());
  if (!existsSync(join(directory, 'main.js'))) {
    mkdirSync(join(directory, '..'), { recursive: true });
    await buildBundle(directory);
  }
  if (process.env.SLIPSTREAM_NATIVE_CIPHER_PATH === undefined && existsSync(NATIVE_CIPHER)) {
    process.env.SLIPSTREAM_NATIVE_CIPHER_PATH = NATIVE_CIPHER;
  }
  return import(pathToFileURL(join(directory, 'main.js')).href);
}

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../cli/main.ts');
}

/** The CLI's module: `{ main(argv): Promise<number> }`. */
export async function loadCli() {
  if (process.env.SLIPSTREAM_CLI_FROM_SOURCE !== '1') {
    let bundle;
    try {
      bundle = await fromBundle();
    } catch {
      bundle = undefined;
    }
    if (bundle) return bundle;
  }
  return fromSource();
}
