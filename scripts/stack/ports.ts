import { createServer } from 'node:net';
import { StackError } from './errors.js';

/** Every listener of the stack binds here and nowhere else. */
export const LOOPBACK = '127.0.0.1';

/** Whether `port` can be bound on the loopback address right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: LOOPBACK, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** A port the kernel considers free now; persisted by the caller so later `up`s reuse it. */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new StackError('could not pick a free port on 127.0.0.1'))));
    });
  });
}

/** Fails with a plain sentence when something that is not ours already holds `port`. */
export async function assertPortFree(port: number, component: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new StackError(
      `port ${port} on ${LOOPBACK} (for ${component}) is in use by another program: stop it, or delete .stack/settings.json to pick new ports`,
    );
  }
}
