import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/*
 * The page's storage belongs to its origin, port included: the encryption keys matrix-js-sdk keeps in
 * IndexedDB would be lost with every new port. So the host listens where it listened last time, when
 * nobody asked for a port and that one is still free, and remembers where it listens now.
 */

const PORT_FILE = 'host-port';

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
}

async function rememberedPort(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, PORT_FILE), 'utf8').catch(() => '');
  const port = Number(text.trim());
  return Number.isInteger(port) && port > 1024 && port <= 65535 ? port : undefined;
}

/** Listens on 127.0.0.1 at `requested`, or else at the remembered port if free, or else at any free port. */
export async function listenOnRememberedPort(server: Server, dataDir: string, requested?: number): Promise<number> {
  const remembered = requested === undefined ? await rememberedPort(dataDir) : undefined;
  if (remembered !== undefined) {
    try {
      await listen(server, remembered);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      await listen(server, 0);
    }
  } else {
    await listen(server, requested ?? 0);
  }
  const { port } = server.address() as AddressInfo;
  // Best effort: a host that cannot write here would fail at its lock file just after anyway.
  await writeFile(join(dataDir, PORT_FILE), `${port}\n`).catch(() => undefined);
  return port;
}
