import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnRememberedPort } from './remembered-port.js';

const servers: Server[] = [];
const folders: string[] = [];

async function folder(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'slipstream-port-'));
  folders.push(path);
  return path;
}

function server(): Server {
  const made = createServer();
  servers.push(made);
  return made;
}

const close = (made: Server) => new Promise<void>((resolve) => made.close(() => resolve()));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((made) => (made.listening ? close(made) : undefined)));
  await Promise.all(folders.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});

describe('the browser host listens where it listened last time', () => {
  it('takes the remembered port again, so the page keeps its origin and its stored keys', async () => {
    const dataDir = await folder();
    const first = server();
    const port = await listenOnRememberedPort(first, dataDir);
    expect(port).toBeGreaterThan(0);
    expect((await readFile(join(dataDir, 'host-port'), 'utf8')).trim()).toBe(String(port));
    await close(first);
    expect(await listenOnRememberedPort(server(), dataDir)).toBe(port);
  });

  it('takes another free port when the remembered one is busy, and remembers that one', async () => {
    const dataDir = await folder();
    const squatter = server();
    const busy = await listenOnRememberedPort(squatter, await folder());
    await writeFile(join(dataDir, 'host-port'), `${busy}\n`);
    const port = await listenOnRememberedPort(server(), dataDir);
    expect(port).not.toBe(busy);
    expect((await readFile(join(dataDir, 'host-port'), 'utf8')).trim()).toBe(String(port));
  });

  it('uses the port asked for over the remembered one, and ignores a damaged record', async () => {
    const dataDir = await folder();
    await writeFile(join(dataDir, 'host-port'), 'not a port');
    const any = await listenOnRememberedPort(server(), dataDir);
    expect(any).toBeGreaterThan(1024);
    const asked = server();
    expect(await listenOnRememberedPort(asked, dataDir, 0)).not.toBe(0);
  });
});
