/**
 * A second floor for `bench/e2e.ts`: the curl baseline's two requests made by Node instead of curl, so a
 * run shows what the platform costs before Slipstream does anything of its own. Each side is a fresh Node
 * process with the engine's V8 options (main/core/node-flags.ts) running a script of plain JavaScript given to
 * `node -e`: the sender streams the file into a node:http PUT (1 MiB reads, Content-Length declared), the
 * receiver writes the node:http download to a file as the engine's receiver batches its writes
 * (bench/node-floor-writer.ts). No encryption, no state, no fsync: the same work as the curls, in Node.
 */
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';
import { runTimed } from './process-cpu.js';
import { WRITE_BODY_SOURCE } from './node-floor-writer.js';

const NODE_CLIENT = `
const { request } = require('node:http');
const { createReadStream, statSync } = require('node:fs');
${WRITE_BODY_SOURCE}
const [mode, file, url, token] = process.argv.slice(1);
const fail = (why) => { console.error(why); process.exit(1); };
const headers = { Authorization: 'Bearer ' + token };
if (mode === 'put') {
  headers['Content-Type'] = 'application/octet-stream';
  headers['Content-Length'] = statSync(file).size;
  const req = request(url, { method: 'PUT', headers }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? process.exit(0) : fail('PUT answered ' + res.statusCode)));
  });
  req.on('error', (error) => fail(error.message));
  createReadStream(file, { highWaterMark: 2 ** 20 }).on('error', (error) => fail(error.message)).pipe(req);
} else {
  request(url, { headers }, (res) => {
    if (res.statusCode !== 200) fail('GET answered ' + res.statusCode);
    res.on('aborted', () => fail('the download was cut off'));
    writeBody(res, file).then(() => process.exit(0), (error) => fail(error.message));
  }).on('error', (error) => fail(error.message)).end();
}
`;

/** One side of the Node floor: `put` sends `file` to `url`, `get` saves `url` to `file`; resolves with its CPU-seconds. */
export function nodeFloorClient(mode: 'put' | 'get', file: string, url: string, accessToken: string): Promise<number> {
  return runTimed(
    [process.execPath, ...SLIPSTREAM_NODE_FLAGS, '-e', NODE_CLIENT, mode, file, url, accessToken],
    `the Node floor's ${mode}`,
  );
}
