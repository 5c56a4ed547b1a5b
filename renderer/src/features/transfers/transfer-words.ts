import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { formatDuration, formatRate } from '../../text/quantities';

/**
 * A transfer's state as one short sentence: what the status line says. `retryInSeconds` is what is
 * left of the engine's wait before its next attempt, counted down by the row.
 */
export function statusWords(transfer: TransferUpdate, retryInSeconds?: number): string {
  if (transfer.retry && (transfer.status === 'uploading' || transfer.status === 'downloading')) {
    return `Retrying in ${retryInSeconds ?? Math.ceil(transfer.retry.inMs / 1000)} s (attempt ${transfer.retry.attempt})`;
  }
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
      return 'Completed';
    case 'failed':
      return transfer.failure ? `Failed: ${transfer.failure.message}` : 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}

/** "12.5 MB/s · 1 min 5 s left", only while bytes move. */
export function speedWords(transfer: TransferUpdate): string | undefined {
  if (transfer.status !== 'uploading' && transfer.status !== 'downloading') return undefined;
  if (transfer.retry || transfer.rate <= 0) return undefined;
  const eta = transfer.etaSeconds === undefined ? '' : ` · ${formatDuration(transfer.etaSeconds)} left`;
  return `${formatRate(transfer.rate)}${eta}`;
}

export function directionWords(transfer: Pick<TransferUpdate, 'direction'>): string {
  return transfer.direction === 'send' ? 'Outgoing' : 'Incoming';
}

export const isActive = (transfer: TransferUpdate): boolean =>
  transfer.status === 'queued' || transfer.status === 'uploading' || transfer.status === 'downloading';
