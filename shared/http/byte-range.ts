/**
 * One HTTP byte range (RFC 9110 §14) resolved against a resource of known size. Players seek with a
 * single range at a time; a header naming several ranges is answered with the whole resource, which
 * the RFC allows.
 */
export type ByteRangeOutcome =
  /** No Range header, or one this resource answers in full. */
  | { readonly kind: 'whole' }
  /** Inclusive `first`..`last`, both within the resource. */
  | { readonly kind: 'partial'; readonly first: number; readonly last: number }
  /** Syntactically fine, but outside the resource: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' };

export function resolveByteRange(header: string | null | undefined, size: number): ByteRangeOutcome {
  if (header === null || header === undefined) return { kind: 'whole' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Several ranges, another unit, or garbage: RFC 9110 lets a server ignore the header.
  if (!match) return { kind: 'whole' };
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '' && lastText === '') return { kind: 'whole' };
  if (firstText === '') {
    const suffix = Number(lastText);
    if (!Number.isSafeInteger(suffix) || suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', first: Math.max(0, size - suffix), last: size - 1 };
  }
  const first = Number(firstText);
  const last = lastText === '' ? size - 1 : Math.min(Number(lastText), size - 1);
  if (!Number.isSafeInteger(first) || (lastText !== '' && Number(lastText) < first)) return { kind: 'whole' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', first, last };
}
