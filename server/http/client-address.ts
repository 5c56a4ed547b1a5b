import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** An IPv4 address Node reports in its IPv6-mapped form (`::ffff:1.2.3.4`) written plainly. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * The address of the client a request comes from, for per-address limits. From a trusted proxy it is
 * the last X-Forwarded-For entry: a proxy appends the address it saw (nginx's
 * `$proxy_add_x_forwarded_for`) after whatever the client sent, so only that entry is the proxy's word.
 * From anyone else, and when that entry is missing or not an address, it is the connection's own peer.
 */
export function clientAddressOf(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = plainAddress(req.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.has(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = Array.isArray(header) ? header.join(',') : (header ?? '');
  const last = plainAddress(forwarded.split(',').pop()?.trim() ?? '');
  return isIP(last) !== 0 ? last : peer;
}
