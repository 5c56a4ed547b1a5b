import type { IncomingMessage } from 'node:http';
import { MatrixError } from './matrix-error.js';

/** A single byte range as the client wrote it: `bytes=first-[last]` or the suffix form `bytes=-length`. */
export type RequestedRange = { kind: 'from'; first: number; last: number | null } | { kind: 'suffix'; length: number };

/** A range resolved against a known total: [start, endExclusive). */
export interface ResolvedRange {
  start: number;
  endExclusive: number;
}

const invalidRange = (header: string): MatrixError =>
  new MatrixError(
    416,
    'M_INVALID_PARAM',
    `Range must be a byte range such as "bytes=0-1023", "bytes=1024-" or "bytes=-512", not "${header}"`,
  );

/**
 * The byte range a request asks for, or undefined when the whole representation is to be sent
 * (RFC 9110 §14.2). Ignored, as the RFC requires or allows:
 * - on any method but GET, the only one for which range handling is defined;
 * - with a unit other than `bytes` (an origin server MUST ignore a unit it does not understand);
 * - with `If-Range`: this server sends no validator, so none a client sends can match it (§13.1.5);
 * - with more than one range: a server MAY ignore Range, and answering with `multipart/byteranges` would
 *   frame parts of a stream whose length may not be known yet, for which no client of this server asks.
 * A malformed or reversed single byte range is refused with 416 (§14.2 lets a server reject an invalid
 * ranges-specifier), so a client bug shows up as an error rather than as a whole-file download.
 */
export function rangeOf(req: IncomingMessage): RequestedRange | undefined {
  const header = req.headers.range;
  if (header === undefined || req.method !== 'GET' || req.headers['if-range'] !== undefined) return undefined;
  return parseRange(header);
}

/** Parses a Range header, with rangeOf's rules for other units and several ranges. */
export function parseRange(header: string | undefined): RequestedRange | undefined {
  if (header === undefined) return undefined;
  const specifier = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=(.*)$/.exec(header);
  if (!specifier) throw invalidRange(header);
  const [, unit = '', set = ''] = specifier;
  // Range units are case-insensitive (RFC 9110 §14.1).
  if (unit.toLowerCase() !== 'bytes') return undefined;
  // A list may hold empty elements, which a recipient ignores (RFC 9110 §5.6.1).
  const ranges = set
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (ranges.length > 1) return undefined;
  const match = /^(\d{0,16})-(\d{0,16})$/.exec(ranges[0] ?? '');
  if (!match) throw invalidRange(header);
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') throw invalidRange(header);
    return { kind: 'suffix', length: Number(last) };
  }
  const range: RequestedRange = { kind: 'from', first: Number(first), last: last === '' ? null : Number(last) };
  if (range.last !== null && range.last < range.first) throw invalidRange(header);
  return range;
}

export function unsatisfiable(total: number): MatrixError {
  return new MatrixError(
    416,
    'M_INVALID_PARAM',
    `The requested range lies outside the ${total} bytes of this media`,
    {},
    { 'Content-Range': `bytes */${total}` },
  );
}

/** Resolves a range against the final length of the media, or throws the 416 answer. */
export function resolveRange(range: RequestedRange, total: number): ResolvedRange {
  if (range.kind === 'suffix') {
    if (range.length === 0 || total === 0) throw unsatisfiable(total);
    return { start: Math.max(0, total - range.length), endExclusive: total };
  }
  if (range.first >= total) throw unsatisfiable(total);
  return { start: range.first, endExclusive: Math.min(range.last ?? total - 1, total - 1) + 1 };
}
