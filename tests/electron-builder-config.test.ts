import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Configuration, FileSet, TargetConfiguration } from 'electron-builder';
import { loadConfigFromFile } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APP_BUNDLES, ELECTRON_OUT_DIR, NATIVE_PACKAGES } from '../scripts/build-app.js';

/*
 * electron-builder downloads Electron and its packaging tools when it runs, which these machines cannot
 * do. These tests check instead what a packaging run would rely on: the configuration passes
 * electron-builder's own schema, names every platform's targets, and packages exactly what the build emits.
 */

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const fromRoot = (relativePath: string) => path.resolve(repoRoot, relativePath);

type ValidateConfiguration = (
  config: Configuration,
  debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void },
) => Promise<void>;

/**
 * The check electron-builder runs first on every build. It is not exported from the package's entry
 * point, so it is loaded from the app-builder-lib that electron-builder itself resolves.
 */
function loadValidateConfiguration(): ValidateConfiguration {
  const requireFromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
  const configModule = requireFromBuilder('app-builder-lib/out/util/config/config') as {
    validateConfiguration?: ValidateConfiguration;
  };
  if (typeof configModule.validateConfiguration !== 'function') {
    throw new Error('app-builder-lib no longer exports validateConfiguration; update this test to its new home');
  }
  return configModule.validateConfiguration;
}

/** The directory part of a `files` pattern before its first glob character: 'dist/**\/*' → 'dist'. */
function staticBase(pattern: string): string {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((segment) => /[*?[\]{}!]/.test(segment));
  return (firstGlob === -1 ? segments : segments.slice(0, firstGlob)).join('/');
}

function isSameOrInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function targetNames(platform: { target?: TargetConfiguration['target'] | unknown } | null | undefined): string[] {
  const targets = platform?.target;
  const list = Array.isArray(targets) ? targets : targets == null ? [] : [targets];
  return list.map((entry: string | TargetConfiguration) => (typeof entry === 'string' ? entry : entry.target));
}

describe('electron-builder.yml', () => {
  let config: Configuration;
  /** Absolute paths of what `npm run build:renderer` (and package.json, which is not built) put on disk. */
  let rendererOutDir: string;

  beforeAll(async () => {
    config = parse(await readFile(fromRoot('electron-builder.yml'), 'utf8')) as Configuration;
    const loaded = await loadConfigFromFile(
      { command: 'build', mode: 'production' },
      fromRoot('vite.config.ts'),
      repoRoot,
      'silent',
    );
    if (!loaded) throw new Error('vite.config.ts could not be loaded');
    const root = path.resolve(repoRoot, loaded.config.root ?? '.');
    rendererOutDir = path.resolve(root, loaded.config.build?.outDir ?? 'dist');
  });

  it('passes electron-builder’s own configuration schema', async () => {
    const validateConfiguration = loadValidateConfiguration();
    await expect(validateConfiguration(config, { isEnabled: false, add: () => {} })).resolves.toBeUndefined();
  });

  it('identifies the app and writes installers to out/', () => {
    expect(config.appId).toBe('org.slipstream.desktop');
    expect(config.productName).toBe('Slipstream');
    expect(config.directories?.output).toBe('out/');
  });

  it('builds AppImage and deb on Linux, dmg on macOS and NSIS on Windows', () => {
    expect(targetNames(config.linux)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(targetNames(config.mac)).toContain('dmg');
    expect(targetNames(config.win)).toContain('nsis');
  });

  describe('files', () => {
    const patterns = () => {
      const files = config.files;
      const entries = Array.isArray(files) ? files : files == null ? [] : [files];
      return entries
        .map((entry: string | FileSet) => (typeof entry === 'string' ? entry : (entry.from ?? '.')))
        .filter((pattern) => !pattern.startsWith('!'));
    };

    it('packages only what the build produces, plus package.json', () => {
      const produced = [rendererOutDir, ELECTRON_OUT_DIR];
      expect(patterns().length).toBeGreaterThan(0);
      for (const pattern of patterns()) {
        const base = fromRoot(staticBase(pattern));
        if (base === fromRoot('package.json')) continue;
        // A base is acceptable when a build writes into it; a source folder such as src/ or renderer/ is not.
        expect(
          produced.some((output) => isSameOrInside(output, base)),
          `files pattern "${pattern}" packages ${path.relative(repoRoot, base)}/, which no build writes`,
        ).toBe(true);
      }
      expect(patterns()).toContain('package.json');
      expect(existsSync(fromRoot('package.json'))).toBe(true);
    });

    it('includes the renderer bundle that `npm run build:renderer` emits', () => {
      const bases = patterns().map((pattern) => fromRoot(staticBase(pattern)));
      expect(bases.some((base) => isSameOrInside(rendererOutDir, base))).toBe(true);
    });

    it('includes the entry point the packaged app starts from, which is the main bundle `npm run build:app` emits', () => {
      const main = config.extraMetadata?.['main'] as string | undefined;
      expect(main, 'extraMetadata.main names the compiled Electron adapter').toBeTypeOf('string');
      expect(fromRoot(main!)).toBe(path.join(ELECTRON_OUT_DIR, APP_BUNDLES.main));
      const bases = patterns().map((pattern) => fromRoot(staticBase(pattern)));
      expect(bases.some((base) => isSameOrInside(fromRoot(main!), base))).toBe(true);
    });

    it('includes every bundle `npm run build:app` emits: main, the engine’s utility process, the preload', () => {
      const bases = patterns().map((pattern) => fromRoot(staticBase(pattern)));
      for (const bundle of Object.values(APP_BUNDLES)) {
        const emitted = path.join(ELECTRON_OUT_DIR, bundle);
        expect(
          bases.some((base) => isSameOrInside(emitted, base)),
          `${path.relative(repoRoot, emitted)} is not packaged`,
        ).toBe(true);
      }
    });

    it('has the native packages the bundles load at run time among the dependencies it packs', async () => {
      // electron-builder packs `dependencies` (never devDependencies) beside the built files.
      const { dependencies = {} } = JSON.parse(await readFile(fromRoot('package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const name of NATIVE_PACKAGES) expect(Object.keys(dependencies)).toContain(name);
    });

    it('never packages the installer output folder into the app', () => {
      const output = fromRoot(config.directories?.output ?? 'dist');
      for (const pattern of patterns()) {
        expect(isSameOrInside(output, fromRoot(staticBase(pattern))), pattern).toBe(false);
      }
    });
  });
});
