import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkoutRoot } from './checkout-root.js';

const { root } = checkoutRoot();
/** What the renderer's bundle is made from. */
const SOURCE_DIRECTORIES = ['renderer', 'shared'];
const SOURCE_FILES = ['vite.config.ts', 'package-lock.json'];

function sourceKey(): string {
  const hash = createHash('sha256');
  const visit = (path: string) => {
    const stats = statSync(join(root, path));
    hash.update(`${path}\0${stats.size}\0${stats.mtimeMs}\0`);
  };
  const walk = (directory: string) => {
    for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (entry.isFile() && !/\.test\.tsx?$/.test(entry.name)) visit(path);
    }
  };
  SOURCE_DIRECTORIES.forEach(walk);
  SOURCE_FILES.forEach(visit);
  return hash.digest('hex').slice(0, 20);
}

/**
 * The built renderer for the browser host when it runs from a checkout: `.cache/renderer/<key>/`, made
 * with Vite on the first run after any change to the renderer or what it imports (keyed like the CLI's
 * own bundle), built beside its place and renamed into it so concurrent starts never serve half a build.
 */
export async function ensureRendererBuild(log: (line: string) => void): Promise<string> {
  const directory = join(root, '.cache', 'renderer', sourceKey());
  if (existsSync(join(directory, 'index.html'))) return directory;
  log('building the app for the browser (once after each change; about half a minute)');
  const { build } = await import('vite');
  const staging = `${directory}.${process.pid}.tmp`;
  try {
    await build({
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: staging, emptyOutDir: true },
    });
    await rename(staging, directory).catch(async (error: NodeJS.ErrnoException) => {
      // Another start built the same sources first: use its build.
      if (!existsSync(join(directory, 'index.html'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  // Older builds are for sources that no longer exist.
  for (const entry of readdirSync(join(root, '.cache', 'renderer'))) {
    if (join(root, '.cache', 'renderer', entry) !== directory && !entry.endsWith('.tmp')) {
      await rm(join(root, '.cache', 'renderer', entry), { recursive: true, force: true });
    }
  }
  return directory;
}
