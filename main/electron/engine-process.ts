import { MessageChannelMain, utilityProcess } from 'electron';
import type { EngineProcess } from '../core/engine-host/engine-host-supervisor.js';
import { SLIPSTREAM_NODE_FLAGS } from '../core/node-flags.js';
import { ENGINE_DATA_DIR_VARIABLE, ENGINE_PORT_HANDSHAKE, messagePortLink } from './engine-port.js';

export interface EngineProcessOptions {
  /** dist/electron/engine-host.js. */
  readonly entryPath: string;
  readonly dataDir: string;
  readonly log: (line: string) => void;
}

/**
 * Starts the transfer engine in a utility process: off the main process, whose event loop draws the
 * window, and with the V8 options that spare a transfer dozens of full collections per GiB, which
 * Electron's main process cannot be given (main/core/node-flags.ts). Its logs go to main's stdout and
 * stderr.
 */
export function spawnEngineProcess({ entryPath, dataDir, log }: EngineProcessOptions): EngineProcess {
  const child = utilityProcess.fork(entryPath, [], {
    execArgv: [...SLIPSTREAM_NODE_FLAGS],
    serviceName: 'Slipstream transfers',
    env: { ...process.env, [ENGINE_DATA_DIR_VARIABLE]: dataDir },
    stdio: 'inherit',
  });
  const { port1, port2 } = new MessageChannelMain();
  child.postMessage(ENGINE_PORT_HANDSHAKE, [port2]);
  child.on('error', (type, location) => log(`the transfer engine hit a fatal ${type} at ${location}`));
  return {
    link: messagePortLink(port1),
    onExit: (listener) =>
      child.once('exit', (code) => {
        port1.close();
        listener(code);
      }),
    kill: () => void child.kill(),
  };
}
