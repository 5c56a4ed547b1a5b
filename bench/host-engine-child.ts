/**
 * `npm run bench:host`, configuration "desktop": the engine host exactly as
 * main/core/engine-host/node-child-entry.ts runs it (runEngineHost over the fork's IPC channel, which
 * stands in for Electron's utilityProcess and its MessagePort), plus the benchmark's window commands on
 * standard input, so the process measures its own event-loop delay while the engine works in it.
 * SLIPSTREAM_DATA_DIR names the data directory.
 */
import { runEngineHost } from '../main/core/engine-host/engine-host.js';
import { processLink } from '../main/core/engine-host/process-link.js';
import { describeBlockCipher } from '../main/core/codec/block-cipher-choice.js';
import { report, serveBenchCommands } from './host-child-kit.js';

serveBenchCommands(
  (command) => process.stderr.write(`engine host (bench): unknown command ${command.type}\n`),
  // The benchmark stops the engine host through the contract's shutdown channel, not by closing stdin.
  () => undefined,
);

const dataDir = process.env['SLIPSTREAM_DATA_DIR'];
if (!dataDir) {
  process.stderr.write('engine host (bench): SLIPSTREAM_DATA_DIR is not set\n');
  process.exit(2);
}
const link = processLink();
const host = runEngineHost(link, { dataDir, log: (line) => process.stderr.write(`engine host: ${line}\n`) });
link.onClose?.(() => void host.shutdown());
void host.closed.then(() => process.exit(0));
// The supervisor kills the process once it has answered shutdown: exit as if on its own, so that Node
// options the benchmark adds (--cpu-prof) still write what they collected.
process.on('SIGTERM', () => process.exit(0));
// Which cipher the engine seals with here (the native one, or node:crypto as inside Electron).
report({ type: 'ready', cipher: describeBlockCipher() });
