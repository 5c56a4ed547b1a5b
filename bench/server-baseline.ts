/**
 * The baseline of `bench/server.ts`: a private nginx (Debian's, the one the stack uses) on 127.0.0.1,
 * started for the run and stopped after it, with one location that takes a PUT with the WebDAV module
 * (`dav_methods PUT`): nginx reads the body into a file under `client_body_temp_path`, as it arrives, and
 * renames it into place when it is complete — the body goes to disk, as the media server's does, with
 * no application in the path. DELETE removes the file after each measurement.
 *
 * Also the media server's RSS sampler: a worker thread reading `/proc/<pid>/status` every 10 ms, so the
 * sampling keeps its pace while the benchmark's own event loop is busy with 50 readers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mediaProxyDirectives } from '../scripts/stack/nginx-config.js';

export interface BaselineNginx {
  readonly url: string;
  readonly version: string;
  /** Where PUT /upload/<name> lands: <directory>/upload/<name>. */
  readonly directory: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function findNginx(): string {
  for (const directory of (process.env.PATH ?? '').split(':').concat('/usr/sbin')) {
    if (directory && existsSync(join(directory, 'nginx'))) return join(directory, 'nginx');
  }
  throw new Error('nginx is not installed (the stack installs it: npm run stack -- up)');
}

function nginxVersion(nginx: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(nginx, ['-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('close', () => resolve(/nginx\/(\S+)/.exec(text)?.[1] ?? 'unknown'));
  });
}

interface PrivateNginx {
  readonly url: string;
  readonly directory: string;
  stop(): Promise<void>;
}

/** An nginx of its own (one worker, everything under a temporary directory) serving `location`. */
async function startPrivateNginx(purpose: string, location: (directory: string) => string): Promise<PrivateNginx> {
  const nginx = findNginx();
  const dir = await mkdtemp(join(tmpdir(), `slipstream-bench-${purpose}-`));
  for (const sub of ['www/upload', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const port = await freePort();
  // As root, workers would drop to `nobody`, who cannot write the temp directory: keep them as us.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  const config = `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    server {
        listen 127.0.0.1:${port};
${location(dir)}
    }
}
`;
  await writeFile(join(dir, 'nginx.conf'), config);
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  process.once('exit', () => child.kill('SIGKILL'));
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the ${purpose} nginx exited with ${child.exitCode}`);
    }
    try {
      await fetch(`${url}/`);
      break;
    } catch {
      if (attempt > 100) {
        await stop();
        throw new Error(`the ${purpose} nginx did not answer`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url, directory: dir, stop };
}

export async function startBaselineNginx(): Promise<BaselineNginx> {
  const started = await startPrivateNginx(
    'baseline',
    (dir) => `        location /upload/ {
            root ${dir}/www;
            dav_methods PUT DELETE;
            create_full_put_path on;
            client_max_body_size 0;
            client_body_buffer_size 1m;
            client_body_timeout 1h;
        }`,
  );
  return { ...started, version: await nginxVersion(findNginx()), directory: join(started.directory, 'www') };
}

/**
 * A second private nginx in front of the baseline, whose `/upload/` location has exactly the directives
 * of the stack's media locations (docs/deploy.md): the same proxy hop an upload to the media server
 * takes, with nginx's own disk writer behind it instead of an application.
 */
export async function startProxyFront(upstreamUrl: string): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const upstream = new URL(upstreamUrl);
  return startPrivateNginx(
    'proxy-front',
    () => `        location /upload/ {
${mediaProxyDirectives(upstream.host)
  .map((line) => `            ${line}`)
  .join('\n')}
        }`,
  );
}

export interface RssSampler {
  /** Starts a new window; `peak()` then reports the highest VmRSS seen since, in bytes. */
  reset(): Promise<number>;
  peak(): Promise<number>;
  close(): Promise<void>;
}

const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const rss = () => {
  try {
    const match = /VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + workerData.pid + '/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch { return 0; }
};
let peak = rss();
setInterval(() => { peak = Math.max(peak, rss()); }, 10);
parentPort.on('message', (what) => {
  const now = rss();
  peak = Math.max(peak, now);
  parentPort.postMessage(what === 'reset' ? now : peak);
  if (what === 'reset') peak = now;
});
`;

/** Samples the VmRSS of process `pid` from a worker thread. */
export function sampleRss(pid: number): RssSampler {
  const worker = new Worker(SAMPLER, { eval: true, workerData: { pid } });
  const ask = (what: 'reset' | 'peak'): Promise<number> =>
    new Promise((resolve) => {
      worker.once('message', (value: number) => resolve(value));
      worker.postMessage(what);
    });
  return { reset: () => ask('reset'), peak: () => ask('peak'), close: () => worker.terminate().then(() => undefined) };
}
