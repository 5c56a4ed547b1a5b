import { timingSafeEqual } from 'node:crypto';

/** Compares a secret someone presented with the real one in constant time (no early exit to time). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Bearer token of an Authorization header, if it has one. */
export function bearerOf(authorization: string | null | undefined): string | undefined {
  return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
}

/** A refusal a local server gives: a status and one plain line. */
export function plainRefusal(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
