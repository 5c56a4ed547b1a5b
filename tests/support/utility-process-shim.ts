import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/*
 * Runs a bundle written for Electron's utility process (dist/electron/engine-host.js) in plain Node,
 * as tests/build-app.test.ts does where Electron's binary cannot be installed: `process.parentPort`
 * and the MessagePortMain main hands over are imitated with Node's MessageChannel, and that port is
 * relayed to this process's parent over Node's IPC channel. Started with the bundle's path as its
 * argument, the handshake's text in SLIPSTREAM_ENGINE_PORT_HANDSHAKE.
 */

/**
 * Electron's MessagePortMain, as far as the utility process uses it: messages arrive as `{ data }`,
 * and wait in the port until start() (Node's port would start delivering at its first listener).
 */
class MessagePortMain extends EventEmitter {
  private started = false;

  constructor(private readonly port: MessagePort) {
    super();
    port.on('close', () => this.emit('close'));
  }
  postMessage(message: unknown): void {
    this.port.postMessage(message);
  }
  start(): void {
    if (this.started) return;
    this.started = true;
    this.port.on('message', (data: unknown) => this.emit('message', { data, ports: [] }));
  }
  close(): void {
    this.port.close();
  }
}

const [bundle] = process.argv.slice(2);
if (!bundle || !process.send) throw new Error('usage: fork utility-process-shim.ts <bundle> with an IPC channel');

const { port1, port2 } = new MessageChannel();
process.on('message', (message) => port2.postMessage(message));
port2.on('message', (message: unknown) => process.send!(message));
// The parent went away: the engine's port closes, as it does when Electron's main process dies.
process.on('disconnect', () => port2.close());

/** Electron's parentPort queues messages until a 'message' listener is added, so main may post first. */
const parentPort = new EventEmitter();
const queued = [{ data: process.env['SLIPSTREAM_ENGINE_PORT_HANDSHAKE'], ports: [new MessagePortMain(port1)] }];
parentPort.on('newListener', (event: string) => {
  if (event === 'message')
    setImmediate(() => queued.splice(0).forEach((message) => parentPort.emit('message', message)));
});
(process as unknown as { parentPort: EventEmitter }).parentPort = parentPort;
await import(pathToFileURL(bundle).href);
