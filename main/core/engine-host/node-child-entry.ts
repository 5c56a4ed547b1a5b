import { runEngineHost } from './engine-host.js';
import { processLink } from './process-link.js';
import { retryPolicyFromEnvironment } from '../transfer/retry-policy.js';

/*
 * The engine host as a plain Node child process (child_process.fork with an IPC channel), the way the
 * tests and the benchmark start it to exercise exactly what Electron's utilityProcess runs, without
 * Electron. SLIPSTREAM_DATA_DIR names the data directory; SLIPSTREAM_TEST_FAST_RETRY=1 shortens retries.
 */
const dataDir = process.env['SLIPSTREAM_DATA_DIR'];
if (!dataDir) {
  process.stderr.write('engine host: SLIPSTREAM_DATA_DIR is not set\n');
  process.exit(2);
}
const link = processLink();
const fastRetry = retryPolicyFromEnvironment();
const host = runEngineHost(link, {
  dataDir,
  log: (line) => process.stderr.write(`engine host: ${line}\n`),
  ...(fastRetry && { engine: { retry: fastRetry } }),
});
// The parent went away without asking (it crashed): stop the transfers where they are, then exit.
link.onClose?.(() => void host.shutdown());
// A moment for the last answer (to `shutdown`) to leave before the process does.
void host.closed.then(() => setTimeout(() => process.exit(0), 250));
