import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { formatBytes, formatDuration, formatRate, percentOf } from '../../text/quantities';

/**
 * A transfer's state in a few words ("Uploading", "Paused", "Failed: …"): the status line's lead and
 * what is announced. `retryInSeconds` is what is left of the engine's wait before its next attempt,
 * counted down by the row.
 */
export function statusWords(transfer: TransferUpdate, retryInSeconds?: number): string {
  if (transfer.retry && (transfer.status === 'uploading' || transfer.status === 'downloading')) {
    return `Retrying in ${retryInSeconds ?? Math.ceil(transfer.retry.inMs / 1000)} s (attempt ${transfer.retry.attempt})`;
  }
  if (transfer.waitingForOutcome && transfer.status === 'downloading')
    return 'Waiting for the sender to confirm the file';
  switch (transfer.status) {
    case 'queued':
      return 'Queued';
    case 'uploading':
      return 'Uploading';
    case 'downloading':
      return 'Downloading';
    case 'paused':
      return 'Paused';
    case 'completed':
      return transfer.verified ? 'Completed · verified' : 'Completed';
    case 'failed':
      return transfer.failure ? `Failed: ${transfer.failure.message}` : 'Failed';
    case 'cancelled':
      return transfer.cancelledBySender ? 'Cancelled by the sender' : 'Cancelled';
  }
}

/** "12.5 MB/s · 1 min 5 s left", only while bytes move. */
export function speedWords(transfer: TransferUpdate): string | undefined {
  if (transfer.status !== 'uploading' && transfer.status !== 'downloading') return undefined;
  if (transfer.retry || transfer.rate <= 0) return undefined;
  const eta = transfer.etaSeconds === undefined ? '' : ` · ${formatDuration(transfer.etaSeconds)} left`;
  return `${formatRate(transfer.rate)}${eta}`;
}

/** The status line: its state in bold words, then how far it got and how fast it goes. */
export interface StatusLine {
  readonly words: string;
  /** Follows the words directly, its separator included (" · 33 MB of 300 MB · …", " at 12 MB of 96 MB"). */
  readonly detail?: string;
}

/**
 * While the page cannot reach Slipstream (`connected` false), a moving transfer shows where it stood,
 * never a rate or a time left that nobody is measuring any more.
 */
export function statusLine(
  transfer: TransferUpdate,
  connected: boolean,
  retryInSeconds?: number,
  stalled = false,
): StatusLine {
  if (!connected && isActive(transfer)) {
    const stood = transfer.status === 'queued' ? 'Queued' : `${percentOf(transfer.bytesDone, transfer.bytesTotal)} %`;
    return { words: `${stood} when the connection was lost`, detail: ' — waiting for Slipstream' };
  }
  // The reason is a sentence to read, not a label: it follows the state in the line's own weight.
  if (transfer.status === 'failed' && transfer.failure) {
    return { words: 'Failed', detail: `: ${transfer.failure.message}` };
  }
  if (transfer.status === 'queued') return { words: 'Queued', detail: ' · waits its turn' };
  const words = statusWords(transfer, retryInSeconds);
  const amount = `${formatBytes(transfer.bytesDone)} of ${formatBytes(transfer.bytesTotal)}`;
  if (transfer.status === 'paused') return { words, detail: ` at ${amount}` };
  if (transfer.waitingForOutcome) return { words };
  // A download with no new bytes for a while waits for its sender's upload (use-stalled.ts).
  if (stalled && transfer.status === 'downloading') return { words: 'Waiting for the sender', detail: ` · ${amount}` };
  if (transfer.status === 'uploading' || transfer.status === 'downloading') {
    const speed = speedWords(transfer);
    return { words, detail: ` · ${amount}${speed ? ` · ${speed}` : ''}` };
  }
  return { words };
}

export function directionWords(transfer: Pick<TransferUpdate, 'direction'>): string {
  return transfer.direction === 'send' ? 'Outgoing' : 'Incoming';
}

export const isActive = (transfer: TransferUpdate): boolean =>
  transfer.status === 'queued' || transfer.status === 'uploading' || transfer.status === 'downloading';
