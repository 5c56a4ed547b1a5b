import { fork } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContract, serveContract } from '../shared/ipc/message-link.js';
import { API_GLOBAL_NAME, appContract } from '../shared/ipc-contract.js';
import { engineHostContract, hostPlatformContract } from '../main/core/engine-host/engine-host-contract.js';
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';
import { forkedEngineProcess } from '../main/core/engine-host/process-link.js';
import { ENGINE_DATA_DIR_VARIABLE, ENGINE_PORT_HANDSHAKE } from '../main/electron/engine-port.js';
import { testPlatform } from './support/engine-host.js';
import { APP_BUNDLES, type AppBundle, buildElectronBundles, NATIVE_PACKAGES } from '../scripts/build-app.js';

/*
 * What `npm run build:app` emits for Electron, checked without Electron: each bundle exists, and loads
 * nothing at run time that will not be there — Node's built-ins and Electron in main, built-ins and the
 * packed native packages in the engine's utility process, and only 'electron' in the sandboxed preload,
 * which must be CommonJS.
 */

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function runtimeImports(metafile: Metafile): string[] {
  const [output] = Object.values(metafile.outputs);
  return [...new Set(output!.imports.filter((entry) => entry.external).map((entry) => entry.path))].sort();
}

describe('npm run build:app (the Electron bundles)', () => {
  let outDir: string;
  let metafiles: Record<AppBundle, Metafile>;

  // One build for all the checks below, inside the checkout as dist/electron/ is, so the native
  // packages left outside the bundles resolve from node_modules as they will in the packaged app.
  beforeAll(async () => {
    await mkdir(path.join(repoRoot, '.cache'), { recursive: true });
    outDir = await mkdtemp(path.join(repoRoot, '.cache', 'build-app-test-'));
    metafiles = await buildElectronBundles(outDir);
  });
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it('emits main.js, engine-host.js and preload.cjs', async () => {
    for (const file of Object.values(APP_BUNDLES)) {
      expect((await stat(path.join(outDir, file))).size, file).toBeGreaterThan(1000);
    }
  });

  it('main.js loads nothing but Electron and Node built-ins', () => {
    const imports = runtimeImports(metafiles.main);
    expect(imports).toContain('electron');
    expect(imports.filter((name) => name !== 'electron' && !builtins.has(name))).toEqual([]);
  });

  it('engine-host.js loads no Electron, and nothing but built-ins and the native packages that are packed', () => {
    const imports = runtimeImports(metafiles.engineHost);
    expect(imports.filter((name) => !builtins.has(name) && !NATIVE_PACKAGES.includes(name))).toEqual([]);
    const requireFromRoot = createRequire(path.join(repoRoot, 'package.json'));
    for (const name of imports.filter((entry) => NATIVE_PACKAGES.includes(entry))) {
      expect(() => requireFromRoot.resolve(name), `${name} is installed`).not.toThrow();
    }
  });

  it('preload.cjs is CommonJS that requires only electron, and exposes the API built from the contract', async () => {
    expect(runtimeImports(metafiles.preload)).toEqual(['electron']);
    const source = await readFile(path.join(outDir, APP_BUNDLES.preload), 'utf8');
    const exposed = new Map<string, Record<string, unknown>>();
    const required: string[] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: Record<string, unknown>) => exposed.set(name, api) },
      ipcRenderer: { on: () => undefined, invoke: async () => ({ ok: true, value: null }) },
      webUtils: { getPathForFile: () => '/tmp/file' },
    };
    // Run as a sandboxed preload runs: a CommonJS function whose require knows 'electron' only.
    const preload = vm.runInNewContext(`(function (require, module, exports) {${source}\n})`, {
      console,
    }) as (require: (name: string) => unknown, module: object, exports: object) => void;
    const module = { exports: {} };
    preload(
      (name) => {
        required.push(name);
        if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
        return electron;
      },
      module,
      module.exports,
    );
    expect(required).toEqual(['electron']);
    const api = exposed.get(API_GLOBAL_NAME);
    expect(Object.keys(api ?? {}).sort()).toEqual([...Object.keys(appContract.invoke), 'on', 'pathForFile'].sort());
  });

  it('engine-host.js starts the engine host and answers main over its port (run in Node, posing as a utility process)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'slipstream-engine-bundle-'));
    const child = fork(
      fileURLToPath(new URL('./support/utility-process-shim.ts', import.meta.url)),
      [path.join(outDir, APP_BUNDLES.engineHost)],
      {
        execArgv: [...SLIPSTREAM_NODE_FLAGS, '--import', 'tsx'],
        env: {
          ...process.env,
          [ENGINE_DATA_DIR_VARIABLE]: dataDir,
          SLIPSTREAM_ENGINE_PORT_HANDSHAKE: ENGINE_PORT_HANDSHAKE,
        },
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const { link } = forkedEngineProcess(child);
      serveContract(link, hostPlatformContract, testPlatform(dataDir));
      const engine = connectContract(link, engineHostContract);
      await expect(engine.appInfo()).resolves.toMatchObject({
        host: 'electron',
        mediaBaseUrl: 'slipstream-media://transfer/',
        fileChooser: 'native',
        droppedFiles: 'path',
      });
      await expect(engine.listTransfers()).resolves.toEqual([]);
      await expect(engine.mediaEndpoint()).resolves.toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      });
      // It stops its transfers, answers, and then exits by itself.
      await expect(engine.shutdown()).resolves.toBeNull();
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
