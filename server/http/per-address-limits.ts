import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { plainAddress } from './client-address.js';
import { endConnectionWithMatrixError, limitExceeded } from './matrix-error.js';

/*
 * Slow clients, bounded per address: what a slow-header or slow-body client can hold is counted under
 * its address, so one address cannot take every connection or every upload slot of the server.
 */

/** Things one address holds at once, at most `limit`. Only addresses holding something are remembered. */
class PerAddressCount {
  private readonly held = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a place for `address`: the function that gives it back (once), or undefined when it has none left. */
  enter(address: string): (() => void) | undefined {
    const count = this.held.get(address) ?? 0;
    if (count >= this.limit) return undefined;
    this.held.set(address, count + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (this.held.get(address) ?? 1) - 1;
      if (remaining > 0) this.held.set(address, remaining);
      else this.held.delete(address);
    };
  }
}

/**
 * Open connections per peer: one that is not a trusted proxy may hold `perAddress` (each must deliver
 * its headers within the server's headersTimeout); the next is answered 429 and closed on arrival. A
 * trusted proxy carries every client over its own connections and bounds them itself; the clients
 * behind it are bounded per request (BodiesPerAddress).
 */
export function limitConnectionsPerAddress(
  server: Server,
  trustedProxies: ReadonlySet<string>,
  perAddress: number,
): void {
  const open = new PerAddressCount(perAddress);
  server.on('connection', (socket: Socket) => {
    const peer = plainAddress(socket.remoteAddress ?? 'unknown');
    if (trustedProxies.has(peer)) return;
    const leave = open.enter(peer);
    if (leave) {
      socket.once('close', leave);
      return;
    }
    const refused = limitExceeded(`Too many connections from ${peer}; close some first`, 1_000);
    endConnectionWithMatrixError(socket, refused, 'Too Many Requests');
  });
}

const carriesBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * Request bodies arriving at once per client address (behind a trusted proxy, the client's own): a
 * request with a body holds a place from its headers until the body has arrived or the request ends.
 */
export class BodiesPerAddress {
  private readonly arriving: PerAddressCount;

  constructor(perAddress: number) {
    this.arriving = new PerAddressCount(perAddress);
  }

  /** Takes the request's place, or refuses it with 429 before its body is read. */
  hold(req: IncomingMessage, clientAddress: string): void {
    if (!carriesBody(req)) return;
    const leave = this.arriving.enter(clientAddress);
    if (!leave) {
      const refused = limitExceeded('Too many uploads arriving at once from this address; finish some first', 1_000);
      // Closed after the answer: otherwise Node reads (and throws away) the whole refused body.
      refused.headers['Connection'] = 'close';
      throw refused;
    }
    req.once('end', leave);
    req.once('close', leave);
  }
}
