import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout the CLI runs from, found from wherever this module is (its sources, or the bundle in
 * `.cache/cli/<key>/`): the nearest folder up whose package.json is Slipstream's.
 */
export function checkoutRoot(): { root: string; version: string } {
  for (let directory = dirname(fileURLToPath(import.meta.url)); ; directory = dirname(directory)) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'slipstream') return { root: directory, version: manifest.version ?? '0.0.0' };
    }
    if (dirname(directory) === directory) throw new Error('the CLI is not running from a Slipstream checkout');
  }
}
