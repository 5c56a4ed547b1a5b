/** A stretch of a bar from 0 to 1. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The player's buffered time ranges as fractions of the duration, merged and clipped to 0–1. */
export function bufferedSpans(
  ranges: { readonly length: number; start(index: number): number; end(index: number): number },
  duration: number,
): Span[] {
  if (!Number.isFinite(duration) || duration <= 0) return [];
  const spans: Span[] = [];
  for (let index = 0; index < ranges.length; index++) {
    const start = Math.max(0, Math.min(1, ranges.start(index) / duration));
    const end = Math.max(0, Math.min(1, ranges.end(index) / duration));
    if (end <= start) continue;
    const last = spans.at(-1);
    if (last && start <= last.end) spans[spans.length - 1] = { start: last.start, end: Math.max(last.end, end) };
    else spans.push({ start, end });
  }
  return spans;
}

/** A time as people read it on a player: 0:05, 12:34, 1:02:03. */
export function clockTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–:––';
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/** What the arrival bar says in words, for screen readers and as its tooltip. */
export function arrivalWords(arrivedFraction: number | undefined, spans: readonly Span[], duration: number): string {
  const parts: string[] = [];
  if (arrivedFraction !== undefined) parts.push(`${Math.floor(Math.min(1, arrivedFraction) * 100)} % of the file here`);
  if (spans.length > 0 && Number.isFinite(duration)) {
    const ranges = spans.map((span) => `${clockTime(span.start * duration)}–${clockTime(span.end * duration)}`);
    parts.push(`ready to play ${ranges.join(', ')}`);
  }
  return parts.join(' · ');
}
