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
    `Range must be one byte range such as "bytes=0-1023", "bytes=1024-" or "bytes=-512", not "${header}"`,
  );

/**
 * Parses the Range header. Only single byte ranges are served (MSC4016 seeks one range at a time);
 * anything else is refused with a clear 416 rather than silently ignored as RFC 9110 would permit,
 * so a client bug shows up as an error instead of a whole-file download.
 */
export function parseRange(header: string | undefined): RequestedRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
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
