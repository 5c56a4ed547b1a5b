/**
 * `npm run bench:host`'s floor: a Node process with the engine host's V8 options that does nothing but
 * measure its own event-loop delay and answer the responsiveness probe. Measured alone, it is the least
 * the platform shows; measured during a send, what the load of the other processes on the two cores
 * does to a process that has nothing to do.
 */
import { report, serveBenchCommands, serveProbe } from './host-child-kit.js';

const probe = await serveProbe();
serveBenchCommands(
  (command) => process.stderr.write(`idle child: unknown command ${command.type}\n`),
  () => void probe.close().then(() => process.exit(0)),
);
report({ type: 'ready', probeUrl: probe.url });
