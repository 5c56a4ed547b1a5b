import type { TransferUpdate } from '../shared/transfer/transfer-update.js';

/** bar: one line redrawn in place (a terminal); lines: a plain line now and then (a log); json: one JSON object per update. */
export type ProgressMode = 'bar' | 'lines' | 'json' | 'none';

export function chooseProgressMode(requested: string | undefined, stream: NodeJS.WriteStream): ProgressMode {
  if (requested === undefined || requested === 'auto') return stream.isTTY ? 'bar' : 'lines';
  if (requested === 'bar' || requested === 'lines' || requested === 'json' || requested === 'none') return requested;
  throw new RangeError(`--progress must be auto, bar, lines, json or none, not "${requested}"`);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** One line describing a transfer: name, bar, percentage, bytes, rate, time left or state. */
export function describeProgress(update: TransferUpdate, barWidth = 24): string {
  const fraction =
    update.bytesTotal === 0 ? (update.status === 'completed' ? 1 : 0) : update.bytesDone / update.bytesTotal;
  const filled = Math.round(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const arrow = update.direction === 'send' ? 'upload  ' : 'download';
  const parts = [
    arrow,
    bar,
    `${(fraction * 100).toFixed(0).padStart(3)}%`,
    `${formatBytes(update.bytesDone)} / ${formatBytes(update.bytesTotal)}`,
  ];
  if (update.status === 'uploading' || update.status === 'downloading') {
    if (update.retry)
      parts.push(`connection lost, retry ${update.retry.attempt} in ${(update.retry.inMs / 1000).toFixed(1)} s`);
    else if (update.rate > 0) {
      parts.push(`${(update.rate / 1e6).toFixed(1)} MB/s`);
      if (update.etaSeconds !== undefined) parts.push(`${formatDuration(update.etaSeconds)} left`);
    }
  } else {
    parts.push(update.status);
  }
  return parts.join('  ');
}

const LINE_INTERVAL_MS = 2000;

/** Shows a transfer's progress on `stream` (stderr, so stdout stays for results). */
export class ProgressDisplay {
  private lastLineAt = -Infinity;
  private lastStatus: string | undefined;
  private lastLine: string | undefined;
  private drawn = false;

  constructor(
    private readonly mode: ProgressMode,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  update(update: TransferUpdate): void {
    switch (this.mode) {
      case 'none':
        return;
      case 'json':
        this.stream.write(`${JSON.stringify({ ...update, at: Date.now() })}\n`);
        return;
      case 'bar': {
        const width = Math.max(40, (this.stream.columns ?? 100) - 1);
        this.stream.write(`\r${describeProgress(update).slice(0, width).padEnd(width)}`);
        this.drawn = true;
        return;
      }
      case 'lines': {
        const now = performance.now();
        if (update.status === this.lastStatus && now - this.lastLineAt < LINE_INTERVAL_MS) return;
        const line = describeProgress(update);
        if (line === this.lastLine) return;
        this.lastLineAt = now;
        this.lastStatus = update.status;
        this.lastLine = line;
        this.stream.write(`${line}\n`);
      }
    }
  }

  /** Ends the display: the bar's line is finished so later output starts on its own line. */
  finish(update: TransferUpdate): void {
    if (this.mode === 'lines') this.lastStatus = undefined;
    this.update(update);
    if (this.mode === 'bar' && this.drawn) this.stream.write('\n');
  }
}
