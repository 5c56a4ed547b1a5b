import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SLIPSTREAM_NODE_FLAGS } from '../../main/core/node-flags.js';
import type { HostPlatformHandlers } from '../../main/core/engine-host/engine-host-contract.js';
import type { EngineProcess } from '../../main/core/engine-host/engine-host-supervisor.js';
import { forkedEngineProcess } from '../../main/core/engine-host/process-link.js';
import { FileSecretStore } from '../../main/core/state/secret-store.js';

const ENTRY = fileURLToPath(new URL('../../main/core/engine-host/node-child-entry.ts', import.meta.url));

/**
 * Starts the engine host as Electron would start its utility process — its own Node process with the
 * engine's V8 options and a message channel to its parent — but with Node's fork, since Electron's
 * binary cannot run here. The child runs exactly runEngineHost; only the entry's link differs.
 */
export function forkEngineHost(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): EngineProcess & { pid(): number } {
  const child = fork(ENTRY, [], {
    execArgv: [...SLIPSTREAM_NODE_FLAGS, '--import', 'tsx'],
    env: { ...process.env, SLIPSTREAM_DATA_DIR: dataDir, SLIPSTREAM_TEST_FAST_RETRY: '1' },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  child.stderr!.on('data', (chunk: Buffer) => log(chunk.toString('utf8').trimEnd()));
  return { ...forkedEngineProcess(child), pid: () => child.pid ?? -1 };
}

/** What Electron's main would do for the engine host, with the file secret store standing in for safeStorage. */
export function testPlatform(directory: string, calls: string[] = []): HostPlatformHandlers {
  const secrets = new FileSecretStore(join(directory, 'main-process-key'));
  return {
    platformInfo: () => {
      calls.push('platformInfo');
      return {
        appVersion: '0.1.0',
        electron: '41.7.1',
        chrome: '146.0',
        downloadsFolder: join(directory, 'Downloads'),
        secretStorage: 'the test keychain',
      };
    },
    sealSecret: async ({ secret }) => {
      calls.push('sealSecret');
      return { sealed: await secrets.seal(secret) };
    },
    openSecret: async ({ sealed }) => {
      calls.push('openSecret');
      return { secret: await secrets.open(sealed) };
    },
    showItemInFolder: ({ path }) => {
      calls.push(`showItemInFolder ${path}`);
      return null;
    },
    openPath: ({ path }) => {
      calls.push(`openPath ${path}`);
      return null;
    },
  };
}
