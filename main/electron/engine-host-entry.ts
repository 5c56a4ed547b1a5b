import { runEngineHost } from '../core/engine-host/engine-host.js';
import { ENGINE_DATA_DIR_VARIABLE, messagePortLink, receiveEnginePort } from './engine-port.js';

/*
 * The entry of the engine's utility process (dist/electron/engine-host.js): the transfer engine and
 * the app backend, answering main over the port main hands it first (engine-port.ts). Started by
 * engine-process.ts with the data directory in the environment.
 */

const log = (line: string) => process.stderr.write(`engine host: ${line}\n`);
const dataDir = process.env[ENGINE_DATA_DIR_VARIABLE];
if (!dataDir || !process.parentPort) {
  log(`must be started by Slipstream's main process as a utility process, with ${ENGINE_DATA_DIR_VARIABLE} set`);
  process.exit(2);
}
const link = messagePortLink(await receiveEnginePort(process.parentPort));
const host = runEngineHost(link, { dataDir, log });
// Ctrl+C in the terminal that ran the app reaches this process too; main decides when the engine stops.
process.on('SIGINT', () => undefined);
// Main went away without asking (it crashed): stop the transfers where they are, then exit.
link.onClose?.(() => void host.shutdown());
// A moment for the last answer (to `shutdown`) to leave before the process does.
void host.closed.then(() => setTimeout(() => process.exit(0), 250));
