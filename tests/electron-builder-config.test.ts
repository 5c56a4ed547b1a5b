import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FuseState, FuseV1Options } from '@electron/fuses';
import { Ajv } from 'ajv';
import type { Configuration, FileSet, TargetConfiguration } from 'electron-builder';
import sharp from 'sharp';
import { loadConfigFromFile } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureRendererBuild } from '../cli/renderer-build.js';
import { APP_SCHEME, MEDIA_SCHEME } from '../main/electron/renderer-origin.js';
import afterPack, {
  checkNativeBuilds,
  fuseConfigFor,
  hardenFuses,
  isTestBuild,
  TEST_BUILD_VARIABLE,
} from '../scripts/after-pack-fuses.js';
import { APP_BUNDLES, buildElectronBundles, ELECTRON_OUT_DIR, NATIVE_PACKAGES } from '../scripts/build-app.js';
import { encodeIcns, encodeIco, ICON_SIZES, pngName, renderIcons, type RenderedIcons } from '../scripts/make-icons.js';

/*
 * electron-builder downloads Electron and its packaging tools when it runs, which these machines cannot
 * do. These tests check instead what a packaging run relies on: the configuration passes electron-builder's
 * own schema, names every platform's targets and icons, and packages exactly what the build emits; the
 * afterPack hook sets the fuses it should; and, on Linux, a real packaging run into a folder around a
 * stand-in Electron binary (a file carrying the fuse wire) produces the app archive and fuses expected.
 */

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const fromRoot = (relativePath: string) => path.resolve(repoRoot, relativePath);
const requireFromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));

type ValidateConfiguration = (
  config: Configuration,
  debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void },
) => Promise<void>;

/**
 * The check electron-builder runs first on every build. It is not exported from the package's entry
 * point, so it is loaded from the app-builder-lib that electron-builder itself resolves.
 */
function loadValidateConfiguration(): ValidateConfiguration {
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

function targetsOf(platform: { target?: TargetConfiguration['target'] | unknown } | null | undefined) {
  const targets = platform?.target;
  const list = Array.isArray(targets) ? targets : targets == null ? [] : [targets];
  return list.map((entry: string | TargetConfiguration) => (typeof entry === 'string' ? { target: entry } : entry));
}
const targetNames = (platform: Parameters<typeof targetsOf>[0]) => targetsOf(platform).map((entry) => entry.target);

async function loadConfig(): Promise<Configuration> {
  return parse(await readFile(fromRoot('electron-builder.yml'), 'utf8')) as Configuration;
}

/** Electron's fuse wire as @electron/fuses reads it: this sentinel, a version byte, a length byte, one byte per fuse. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's defaults for the nine fuses of wire version 1: RunAsNode on … WasmTrapHandlers on. */
const DEFAULT_WIRE = '101100011';

/** A file that is to @electron/fuses what Electron's binary is: filler, the wire, more filler. */
async function writeStandInElectron(file: string): Promise<{ wireOffset: number }> {
  const before = Buffer.alloc(64 * 1024, 0x5a);
  const header = Buffer.from([1, DEFAULT_WIRE.length]);
  await writeFile(
    file,
    Buffer.concat([before, Buffer.from(FUSE_SENTINEL), header, Buffer.from(DEFAULT_WIRE), Buffer.alloc(4096, 0x5a)]),
    { mode: 0o755 },
  );
  return { wireOffset: before.length + FUSE_SENTINEL.length + header.length };
}

async function readWire(file: string, wireOffset: number): Promise<string> {
  return (await readFile(file)).subarray(wireOffset, wireOffset + DEFAULT_WIRE.length).toString('latin1');
}

/** '0'/'1' per fuse, in wire order, for the expectations below. */
function wireWith(changes: Partial<Record<FuseV1Options, boolean>>): string {
  return [...DEFAULT_WIRE]
    .map((state, index) => {
      const change = changes[index as FuseV1Options];
      return change === undefined ? state : change ? '1' : '0';
    })
    .join('');
}

/** The six fuses issue 18 names, as a release sets them. */
const RELEASE_FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
};
const RELEASE_WIRE = wireWith(RELEASE_FUSES);
const TEST_BUILD_WIRE = wireWith({ ...RELEASE_FUSES, [FuseV1Options.EnableNodeCliInspectArguments]: true });

describe('electron-builder.yml', () => {
  let config: Configuration;
  /** Absolute paths of what `npm run build:renderer` (and package.json, which is not built) put on disk. */
  let rendererOutDir: string;

  beforeAll(async () => {
    config = await loadConfig();
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

  it('passes electron-builder’s own configuration schema, as electron-builder checks it and as ajv reads scheme.json', async () => {
    const validateConfiguration = loadValidateConfiguration();
    await expect(validateConfiguration(config, { isEnabled: false, add: () => {} })).resolves.toBeUndefined();
    const schema = JSON.parse(
      await readFile(requireFromBuilder.resolve('app-builder-lib/scheme.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ ...config, protocol: [] }), 'the schema refuses an unknown key').toBe(false);
  });

  it('identifies the app and writes installers to out/', () => {
    expect(config.appId).toBe('org.slipstream.desktop');
    expect(config.productName).toBe('Slipstream');
    expect(config.directories?.output).toBe('out/');
  });

  it('builds AppImage and deb on Linux, dmg for x64 and arm64 on macOS, and NSIS on Windows', () => {
    expect(targetNames(config.linux)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    const dmg = targetsOf(config.mac).find((entry) => entry.target === 'dmg');
    expect(dmg?.arch).toEqual(expect.arrayContaining(['x64', 'arm64']));
    expect(targetNames(config.win)).toContain('nsis');
  });

  it('registers no URL scheme with the operating system: the app’s schemes are its windows’ own', async () => {
    // OS registration would let any page or program launch the app with a URL it has no handler for;
    // the file says why beside where `protocols` would go, naming the schemes main/electron registers.
    for (const platform of [config, config.mac, config.linux, config.win]) {
      expect((platform as { protocols?: unknown } | null | undefined)?.protocols).toBeUndefined();
    }
    const text = await readFile(fromRoot('electron-builder.yml'), 'utf8');
    expect(text).toContain(`${APP_SCHEME}:`);
    expect(text).toContain(`${MEDIA_SCHEME}:`);
  });

  it('runs the afterPack hook from a file that exists, through tsx as `npm run dist` starts electron-builder', async () => {
    expect(config.afterPack).toBe('./scripts/after-pack-fuses.ts');
    expect(existsSync(fromRoot(config.afterPack as string))).toBe(true);
    expect(afterPack).toBeTypeOf('function');
    const { scripts } = JSON.parse(await readFile(fromRoot('package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts['build']).toBe('tsx scripts/build-app.ts');
    expect(scripts['dist']).toBe('npm run build && node --import tsx node_modules/electron-builder/cli.js');
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

  describe('icons', () => {
    const committed = async (): Promise<RenderedIcons> =>
      new Map(
        await Promise.all(
          ICON_SIZES.map(async (size) => [size, await readFile(fromRoot(`build/icons/${pngName(size)}`))] as const),
        ),
      );
    const rgba = (png: Buffer) => sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });

    it('gives each platform its icon in the format its installers take, from build/ (never packed into the app)', async () => {
      expect(config.directories?.buildResources).toBe('build');
      expect(config.linux?.icon).toBe('build/icons');
      const linuxSizes = readdirSync(fromRoot('build/icons')).map((name) => Number(/^(\d+)x\1\.png$/.exec(name)?.[1]));
      expect(linuxSizes).not.toContain(NaN);
      expect(Math.max(...linuxSizes)).toBeGreaterThanOrEqual(512);
      expect(config.mac?.icon).toBe('build/icon.icns');
      expect((await readFile(fromRoot('build/icon.icns'))).subarray(0, 4).toString('latin1')).toBe('icns');
      expect(config.win?.icon).toBe('build/icon.ico');
      const ico = await readFile(fromRoot('build/icon.ico'));
      expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
      // Windows's large views and NSIS take the 256-pixel image, written as 0 in the directory.
      const widths = Array.from({ length: ico.readUInt16LE(4) }, (_, index) => ico[6 + 16 * index] || 256);
      expect(widths).toContain(256);
    });

    it('has electron-builder take each icon as it is, with nothing to convert (converting downloads a toolset)', async () => {
      const { convertIcon } = requireFromBuilder('app-builder-lib/out/util/iconConverter') as {
        convertIcon(options: {
          sources: string[];
          fallbackSources: string[];
          roots: string[];
          format: 'set' | 'icns' | 'ico';
          outDir: string;
        }): Promise<{ icons: { file: string; size: number }[]; isFallback: boolean }>;
      };
      const outDir = await mkdtemp(path.join(tmpdir(), 'slipstream-icons-'));
      try {
        const roots = [fromRoot(config.directories!.buildResources!), repoRoot];
        for (const [source, format] of [
          [config.linux?.icon ?? '', 'set'],
          [config.mac?.icon ?? '', 'icns'],
          [config.win?.icon ?? '', 'ico'],
        ] as const) {
          const { icons, isFallback } = await convertIcon({
            sources: [source!],
            fallbackSources: [],
            roots,
            format,
            outDir,
          });
          expect(isFallback, source).toBe(false);
          expect(icons.length, source).toBeGreaterThan(0);
          for (const icon of icons) expect(isSameOrInside(icon.file, fromRoot('build')), icon.file).toBe(true);
        }
        expect(readdirSync(outDir)).toEqual([]);
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    });

    it('holds build/icon.svg rendered at every size (`npm run icons` after changing it)', async () => {
      const fresh = await renderIcons(await readFile(fromRoot('build/icon.svg')));
      const stored = await committed();
      for (const size of ICON_SIZES) {
        const [expected, actual] = await Promise.all([rgba(fresh.get(size)!), rgba(stored.get(size)!)]);
        expect([actual.info.width, actual.info.height], pngName(size)).toEqual([size, size]);
        // Another sharp or librsvg may antialias an edge a little differently; a changed drawing moves more.
        let total = 0;
        let largest = 0;
        for (let index = 0; index < expected.data.length; index++) {
          const difference = Math.abs(expected.data[index]! - actual.data[index]!);
          total += difference;
          largest = Math.max(largest, difference);
        }
        expect(total / expected.data.length, `${pngName(size)}: mean difference`).toBeLessThan(0.25);
        expect(largest, `${pngName(size)}: largest difference`).toBeLessThanOrEqual(24);
      }
    });

    it('holds the committed renderings, unchanged, in icon.icns and icon.ico', async () => {
      const stored = await committed();
      expect((await readFile(fromRoot('build/icon.icns'))).equals(encodeIcns(stored))).toBe(true);
      expect((await readFile(fromRoot('build/icon.ico'))).equals(await encodeIco(stored))).toBe(true);
    });
  });
});

describe('the afterPack hook (scripts/after-pack-fuses.ts)', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'slipstream-fuses-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  const linuxX64 = { platform: 'linux', arch: 'x64' } as const;

  it(`reads ${TEST_BUILD_VARIABLE} as 1 or unset, and stops at anything else`, () => {
    expect(isTestBuild({})).toBe(false);
    expect(isTestBuild({ [TEST_BUILD_VARIABLE]: '' })).toBe(false);
    expect(isTestBuild({ [TEST_BUILD_VARIABLE]: '0' })).toBe(false);
    expect(isTestBuild({ [TEST_BUILD_VARIABLE]: '1' })).toBe(true);
    expect(() => isTestBuild({ [TEST_BUILD_VARIABLE]: 'yes' })).toThrow(/must be 1/);
  });

  it('hardens a release: RunAsNode, NODE_OPTIONS and inspect arguments off; cookie encryption, ASAR integrity and ASAR only on', () => {
    expect(fuseConfigFor(linuxX64, false)).toEqual({
      version: '1',
      ...RELEASE_FUSES,
      resetAdHocDarwinSignature: false,
    });
  });

  it('differs in a test build by the inspect fuse alone', () => {
    const release = fuseConfigFor(linuxX64, false);
    const test = fuseConfigFor(linuxX64, true);
    expect(test[FuseV1Options.EnableNodeCliInspectArguments]).toBe(true);
    expect({ ...test, [FuseV1Options.EnableNodeCliInspectArguments]: false }).toEqual(release);
  });

  it('re-signs ad hoc only where an unsigned edited binary would not start: arm64 macOS', () => {
    expect(fuseConfigFor({ platform: 'darwin', arch: 'arm64' }, false).resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfigFor({ platform: 'darwin', arch: 'x64' }, false).resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfigFor({ platform: 'win32', arch: 'arm64' }, false).resetAdHocDarwinSignature).toBe(false);
  });

  it('burns those fuses into a binary’s wire, byte for byte, leaving the fuses it does not name alone', async () => {
    const binary = path.join(scratch, 'electron');
    const { wireOffset } = await writeStandInElectron(binary);
    const app = { ...linuxX64, electronBinary: binary, resourcesDir: scratch };
    await hardenFuses(app, {});
    expect(await readWire(binary, wireOffset)).toBe(RELEASE_WIRE);
    // Bytes are '0' (DISABLE) and '1' (ENABLE), as @electron/fuses names them.
    expect(RELEASE_WIRE.charCodeAt(FuseV1Options.RunAsNode)).toBe(FuseState.DISABLE);

    await hardenFuses(app, { [TEST_BUILD_VARIABLE]: '1' });
    expect(await readWire(binary, wireOffset)).toBe(TEST_BUILD_WIRE);
  });

  it('refuses an app without the native build its platform and architecture load, saying which', async () => {
    const resourcesDir = path.join(scratch, 'resources');
    const scope = path.join(resourcesDir, 'app.asar.unpacked', 'node_modules', '@node-rs');
    await mkdir(path.join(scope, 'crc32-darwin-arm64'), { recursive: true });
    await writeFile(path.join(scope, 'crc32-darwin-arm64', 'crc32.darwin-arm64.node'), '');
    const app = { platform: 'darwin', electronBinary: '', resourcesDir };
    await expect(checkNativeBuilds({ ...app, arch: 'arm64' }, ['@node-rs/crc32'])).resolves.toBeUndefined();
    await expect(checkNativeBuilds({ ...app, arch: 'x64' }, ['@node-rs/crc32'])).rejects.toThrow(
      /darwin-x64 app would lack @node-rs\/crc32's native build \(@node-rs\/crc32-darwin-x64\*\)/,
    );
  });
});

/**
 * `npm run build` and the packing half of `npm run dist`, for Linux's unpacked folder target with a
 * stand-in Electron: everything electron-builder does before it would make an installer, the afterPack
 * hook included. Linux only, because the hook checks for the native build of the platform being packed.
 */
describe.runIf(process.platform === 'linux')('a packaging run around a stand-in Electron', () => {
  const asar = requireFromBuilder('@electron/asar') as {
    listPackage(archive: string, options: { isPack: boolean }): string[];
    extractFile(archive: string, file: string): Buffer;
  };
  let scratch: string;
  let appOutDir: string;
  let wireOffset: number;
  let archive: string;
  let packed: string[];

  beforeAll(async () => {
    // `npm run build`, with the renderer the test run already built (the same vite.config.ts) copied in.
    const [renderer] = await Promise.all([
      ensureRendererBuild((line) => console.error(`renderer: ${line}`)),
      buildElectronBundles(),
    ]);
    await rm(fromRoot('dist/renderer'), { recursive: true, force: true });
    await cp(renderer, fromRoot('dist/renderer'), { recursive: true });

    scratch = await mkdtemp(path.join(tmpdir(), 'slipstream-pack-'));
    const electronDist = path.join(scratch, 'electron-dist');
    await mkdir(path.join(electronDist, 'resources'), { recursive: true });
    ({ wireOffset } = await writeStandInElectron(path.join(electronDist, 'electron')));

    const { scripts } = JSON.parse(await readFile(fromRoot('package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const [, pack] = scripts['dist']!.split('&&').map((part) => part.trim());
    const [command, ...args] = pack!.split(/\s+/);
    expect(command).toBe('node');
    const output = path.join(scratch, 'out');
    const env = { ...process.env };
    delete env[TEST_BUILD_VARIABLE];
    await promisify(execFile)(
      process.execPath,
      [
        ...args,
        '--linux',
        'dir',
        `--${process.arch}`,
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${output}`,
      ],
      { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 },
    );
    const [unpacked] = readdirSync(output).filter((entry) => entry.endsWith('-unpacked'));
    appOutDir = path.join(output, unpacked!);
    archive = path.join(appOutDir, 'resources', 'app.asar');
    packed = asar.listPackage(archive, { isPack: false }).map((entry) => entry.replaceAll('\\', '/').slice(1));
  }, 120_000);
  afterAll(() => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined));

  it('burns the release fuses into the packed Electron binary', async () => {
    expect(await readWire(path.join(appOutDir, 'slipstream'), wireOffset)).toBe(RELEASE_WIRE);
  });

  it('packs the three bundles, the renderer and package.json, whose main is the main bundle', async () => {
    for (const bundle of Object.values(APP_BUNDLES)) expect(packed).toContain(`dist/electron/${bundle}`);
    expect(packed).toContain('dist/renderer/index.html');
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as { main: string };
    expect(manifest.main).toBe(`dist/electron/${APP_BUNDLES.main}`);
    const outsideModules = packed.filter((entry) => !entry.startsWith('node_modules'));
    expect(outsideModules.filter((entry) => !/^(dist(\/.*)?|package\.json)$/.test(entry))).toEqual([]);
  });

  it('packs node_modules down to the native packages the bundles load and their platform builds, none of the server’s', async () => {
    const expected = new Set<string>();
    for (const name of NATIVE_PACKAGES) {
      expected.add(name);
      const { optionalDependencies = {} } = JSON.parse(
        await readFile(fromRoot(`node_modules/${name}/package.json`), 'utf8'),
      ) as { optionalDependencies?: Record<string, string> };
      for (const build of Object.keys(optionalDependencies)) {
        if (existsSync(fromRoot(`node_modules/${build}`))) expected.add(build);
      }
    }
    const packages = new Set(
      packed
        .map((entry) => /^node_modules\/((?:@[^/]+\/)?[^/@]+)(\/|$)/.exec(entry)?.[1])
        .filter((name) => name !== undefined),
    );
    expect([...packages].sort()).toEqual([...expected].sort());
    for (const serverOnly of ['better-sqlite3', '@tus/server', 'sharp']) expect(packages).not.toContain(serverOnly);
  });

  it('keeps each native addon outside the archive, where Node can load it', () => {
    const addons = packed.filter((entry) => entry.endsWith('.node'));
    expect(addons.length).toBeGreaterThan(0);
    for (const addon of addons)
      expect(existsSync(path.join(appOutDir, 'resources', 'app.asar.unpacked', addon))).toBe(true);
  });
});

describe('the Electron smoke test (tests/electron/)', () => {
  it('is outside `npm test`: vitest.config.ts collects *.test.ts only, and its files are *.smoke.ts', async () => {
    const { default: unitConfig } = (await import('../vitest.config.js')) as {
      default: { test?: { include?: string[] } };
    };
    const include = unitConfig.test?.include ?? [];
    expect(include.length).toBeGreaterThan(0);
    for (const pattern of include) expect(pattern).toMatch(/\*\.test\.ts$/);
    const files = readdirSync(fromRoot('tests/electron'));
    expect(files.filter((file) => file.endsWith('.smoke.ts')).length).toBeGreaterThan(0);
    expect(files.filter((file) => /\.test\.tsx?$/.test(file))).toEqual([]);
  });
});
