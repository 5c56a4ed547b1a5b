/**
 * A second raw baseline for `bench/server.ts`: the least a Node HTTP server can do with an upload. A
 * private Node process (the media server's V8 options, 127.0.0.1) whose only route, `PUT /upload/<name>`,
 * writes the body to `<directory>/<name>` as it arrives — node:http, then FileHandle.writev of whatever
 * arrived during the previous write, as the media server's append pipeline does — and answers 201; no
 * auth, no tus, no metadata, no fsync. `DELETE /upload/<name>` removes the file.
 *
 * It separates what the platform costs from what the media server adds: the gap between nginx and this
 * floor is Node's (its HTTP parser copies every body chunk into a fresh buffer, reads land in fresh 64 KiB
 * buffers, writes go through libuv's thread pool), the gap between the floor and the media server is ours.
 * The server is a script of plain JavaScript given to `node -e`, so it runs without tsx's loader.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';
import { WRITE_BODY_SOURCE } from './node-floor-writer.js';

const FLOOR_SERVER = `
const { createServer } = require('node:http');
const { rm } = require('node:fs/promises');
const { join } = require('node:path');
const directory = process.argv[1];
${WRITE_BODY_SOURCE}
createServer((req, res) => {
  const name = /^\\/upload\\/([\\w.-]+)$/.exec(req.url ?? '')?.[1];
  const done = (status) => res.writeHead(status, { 'Content-Length': 0 }).end();
  if (!name) return void done(404);
  const path = join(directory, name);
  if (req.method === 'DELETE') return void rm(path, { force: true }).then(() => done(204), () => done(500));
  if (req.method !== 'PUT') return void done(405);
  writeBody(req, path).then(() => done(201), (error) => { console.error(error); res.destroy(); });
}).listen(0, '127.0.0.1', function () { console.log(String(this.address().port)); });
`;

export interface NodeFloor {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startNodeFloor(): Promise<NodeFloor> {
  const directory = await mkdtemp(join(tmpdir(), 'slipstream-bench-node-floor-'));
  const child = spawn(process.execPath, [...SLIPSTREAM_NODE_FLAGS, '-e', FLOOR_SERVER, directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    void exited.then(() => reject(new Error(`the Node floor server exited with ${child.exitCode}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
