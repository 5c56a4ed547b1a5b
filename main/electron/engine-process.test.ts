import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { connectContract, serveContract } from '../../shared/ipc/message-link.js';
import { type HostPlatformHandlers, hostPlatformContract } from '../core/engine-host/engine-host-contract.js';
import { SLIPSTREAM_NODE_FLAGS } from '../core/node-flags.js';
import { spawnEngineProcess } from './engine-process.js';
import { ENGINE_DATA_DIR_VARIABLE, ENGINE_PORT_HANDSHAKE, messagePortLink, receiveEnginePort } from './engine-port.js';
import { fake, FakeMessagePort, type FakeUtilityProcess } from './testing/fake-electron.js';

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

const platform: HostPlatformHandlers = {
  platformInfo: () => ({
    appVersion: '0.1.0',
    electron: '41.7.1',
    chrome: '146.0.0.0',
    downloadsFolder: '/home/alice/Downloads',
    secretStorage: 'the OS keychain',
  }),
  sealSecret: ({ secret }) => ({ sealed: `sealed:${secret}` }),
  openSecret: ({ sealed }) => ({ secret: sealed.replace(/^sealed:/, '') }),
  showItemInFolder: () => null,
  openPath: () => null,
};

function spawn() {
  const engine = spawnEngineProcess({
    entryPath: '/app/dist/electron/engine-host.js',
    dataDir: '/home/alice/.config/Slipstream',
    log: () => undefined,
  });
  const child = fake.forked.at(-1) as FakeUtilityProcess;
  return { engine, child };
}

/** What the utility process receives first on its parent port: the handshake and the engine's port. */
function handedPort(child: FakeUtilityProcess): FakeMessagePort {
  const [message, transfer] = child.postMessage.mock.calls[0]!;
  expect(message).toBe(ENGINE_PORT_HANDSHAKE);
  return transfer![0]!;
}

describe('spawnEngineProcess', () => {
  it('forks the engine host as a utility process with the V8 options the transfers need and the data directory', () => {
    const { child } = spawn();
    expect(child.modulePath).toBe('/app/dist/electron/engine-host.js');
    expect(child.args).toEqual([]);
    expect(child.options).toMatchObject({ execArgv: [...SLIPSTREAM_NODE_FLAGS], serviceName: 'Slipstream transfers' });
    expect(child.options['execArgv']).toEqual(['--max-semi-space-size=2', '--initial-old-space-size=64']);
    expect((child.options['env'] as Record<string, string>)[ENGINE_DATA_DIR_VARIABLE]).toBe(
      '/home/alice/.config/Slipstream',
    );
  });

  it('hands the process its port, over which a contract runs both ways', async () => {
    const { engine, child } = spawn();
    const enginePort = handedPort(child);
    // The utility process's side: it asks main for the platform (engine-host.ts does so at start).
    const asked = connectContract(messagePortLink(enginePort as never), hostPlatformContract);
    serveContract(engine.link, hostPlatformContract, platform);
    await expect(asked.platformInfo()).resolves.toMatchObject({ downloadsFolder: '/home/alice/Downloads' });
    await expect(asked.sealSecret({ secret: 'k' })).resolves.toEqual({ sealed: 'sealed:k' });
  });

  it('reports the process’s exit, closing main’s port so the other end hears of it', () => {
    const { engine, child } = spawn();
    const enginePort = handedPort(child);
    const closed = vi.fn();
    messagePortLink(enginePort as never).onClose?.(closed);
    const exited = vi.fn();
    engine.onExit(exited);
    child.emit('exit', 3);
    expect(exited).toHaveBeenCalledWith(3);
    expect(closed).toHaveBeenCalledOnce();
  });

  it('kills the process when asked', () => {
    const { engine, child } = spawn();
    engine.kill();
    expect(child.kill).toHaveBeenCalledOnce();
  });
});

describe('receiveEnginePort', () => {
  it('takes the engine’s port from main’s first message', async () => {
    const parentPort = new EventEmitter();
    const port = new FakeMessagePort();
    const received = receiveEnginePort(parentPort as never);
    parentPort.emit('message', { data: ENGINE_PORT_HANDSHAKE, ports: [port] });
    await expect(received).resolves.toBe(port);
  });

  it('refuses a first message that is not the handshake', async () => {
    const parentPort = new EventEmitter();
    const received = receiveEnginePort(parentPort as never);
    parentPort.emit('message', { data: 'hello', ports: [] });
    await expect(received).rejects.toThrow(/did not carry the engine port/);
  });
});
