/**
 * What every child of `npm run bench:host` shares: JSON commands from the benchmark on standard input,
 * JSON messages back on standard output (one line each; anything a child logs goes to standard error),
 * its own event-loop delay over the windows the benchmark names, and the responsiveness probe.
 *
 *   {"type":"window-start"}  → {"type":"window-started"}
 *   {"type":"window-stop"}   → {"type":"loop-delay","figures":{…}}   (bench/loop-delay.ts)
 *
 * The benchmark starts a window just before a send and stops it when the send completes, so start-up
 * and the warm-up transfer stay out of the figures.
 */
import { createInterface } from 'node:readline';
import { serveFetchHandler } from '../main/core/http/fetch-handler-server.js';
import { LoopDelayWindow } from './loop-delay.js';

/** A command to a child, or a message from one: one JSON line. */
export interface BenchMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

export function report(message: BenchMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/**
 * Answers the window commands itself and hands every other command to `onCommand`; `onEnd` runs when
 * the benchmark closes standard input.
 */
export function serveBenchCommands(onCommand: (command: BenchMessage) => void, onEnd: () => void): void {
  const window = new LoopDelayWindow();
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      const command = JSON.parse(line) as BenchMessage;
      if (command.type === 'window-start') {
        window.start();
        report({ type: 'window-started' });
      } else if (command.type === 'window-stop') report({ type: 'loop-delay', figures: window.stop() });
      else onCommand(command);
    })
    .on('close', onEnd);
}

/**
 * The responsiveness probe's server: a tiny answer to any request, through the same Fetch-shaped
 * server (main/core/http/fetch-handler-server.ts) as the CLI's and the browser host's, so its round
 * trip is how long a request to the host's HTTP side waits for the host's loop.
 */
export async function serveProbe(): Promise<{ url: string; close(): Promise<void> }> {
  return serveFetchHandler(async () => new Response('ok\n', { headers: { 'Cache-Control': 'no-store' } }), {
    host: '127.0.0.1',
    port: 0,
  });
}
