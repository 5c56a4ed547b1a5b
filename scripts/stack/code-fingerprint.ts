import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/*
 * A running media server keeps the code it was started with. `up` compares a fingerprint of that code,
 * recorded when the server started, with the checkout's, and restarts the server when they differ, so
 * tests never run against yesterday's server.
 */

/**
 * What `slipstream serve` runs: its sources, the dependencies it loads, and the module that starts it
 * (its Node flags). Tests are left out.
 */
export const MEDIA_SERVER_SOURCES = {
  directories: ['server', 'cli', 'shared'],
  files: [
    'bin/slipstream',
    'bin/cli-loader.mjs',
    'package-lock.json',
    'scripts/stack/media-server.ts',
    'main/core/node-flags.ts',
  ],
} as const;

const isSource = (name: string): boolean =>
  /\.(?:[cm]?[jt]sx?|json)$/.test(name) && !/\.test\.[cm]?[jt]sx?$/.test(name);

async function listSources(root: string, directory: string): Promise<string[]> {
  const entries = await readdir(join(root, directory), { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...(await listSources(root, path)));
    else if (entry.isFile() && isSource(entry.name)) files.push(path);
  }
  return files;
}

/** SHA-256 over the relative path and content of every source file, in a fixed order. */
export async function sourceFingerprint(
  root: string,
  sources: { readonly directories: readonly string[]; readonly files: readonly string[] } = MEDIA_SERVER_SOURCES,
): Promise<string> {
  const paths = [...sources.files];
  for (const directory of sources.directories) paths.push(...(await listSources(root, directory)));
  const hash = createHash('sha256');
  for (const path of paths.map((p) => relative(root, join(root, p))).sort()) {
    const content = await readFile(join(root, path)).catch(() => undefined);
    // Path, then length or absence, then bytes: no two different trees can feed the hash the same stream.
    hash.update(`${path}\0${content === undefined ? '-' : content.length}\0`);
    if (content) hash.update(content);
  }
  return hash.digest('hex');
}
