import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import type { FileItem } from './timeline-items';

/**
 * A file card's state, from the file event, its sender's outcome event and this device's transfer of
 * it (if any): what the card says, whether it shows progress, and what it offers to do.
 */
export type CardPhase =
  | 'offered' // someone else's file, not downloaded here: Download
  | 'arriving' // being downloaded here
  | 'waiting' // downloaded what exists; waiting for the sender (bytes, or the outcome event)
  | 'sending' // this account's upload from this device
  | 'paused'
  | 'complete'
  | 'cancelled'
  | 'failed';

export interface CardState {
  readonly phase: CardPhase;
  readonly words: string;
  /** A sentence under the words: why it failed, what verification means, … */
  readonly detail?: string;
  readonly canDownload: boolean;
}

/** `stalled`: the download has had no bytes for a while (use-stalled.ts). */
export function cardState(
  item: FileItem,
  transfer: TransferUpdate | undefined,
  ownUserId: string | null,
  stalled = false,
): CardState {
  const mine = item.sender === ownUserId;
  if (transfer) {
    const sending = transfer.direction === 'send';
    switch (transfer.status) {
      case 'queued':
        return {
          phase: sending ? 'sending' : 'arriving',
          words: 'Queued',
          detail: 'It starts when another transfer ends.',
          canDownload: false,
        };
      case 'uploading':
        return {
          phase: 'sending',
          words: 'Uploading',
          detail: 'Everyone in the room can download it already.',
          canDownload: false,
        };
      case 'downloading':
        if (transfer.waitingForOutcome)
          return {
            phase: 'waiting',
            words: 'Waiting for the sender',
            detail: 'Every byte is here; the file is saved once the sender confirms what it uploaded.',
            canDownload: false,
          };
        if (stalled)
          return {
            phase: 'waiting',
            words: 'Waiting for the sender',
            detail: 'The rest arrives as the sender uploads it.',
            canDownload: false,
          };
        return { phase: 'arriving', words: 'Downloading', canDownload: false };
      case 'paused':
        return { phase: 'paused', words: 'Paused', canDownload: false };
      case 'completed':
        if (sending) return { phase: 'complete', words: 'Sent', canDownload: false };
        if (transfer.verified)
          return {
            phase: 'complete',
            words: 'Completed · verified',
            detail: 'It matches what the sender uploaded.',
            canDownload: false,
          };
        if (transfer.unencrypted)
          return {
            phase: 'complete',
            words: 'Completed',
            detail: 'This file was not end-to-end encrypted.',
            canDownload: false,
          };
        return { phase: 'complete', words: 'Completed', canDownload: false };
      case 'cancelled':
        if (transfer.cancelledBySender)
          return {
            phase: 'cancelled',
            words: 'Cancelled by the sender',
            detail: transfer.savedPath
              ? 'What arrived was kept, marked as incomplete.'
              : 'What had arrived was deleted.',
            canDownload: false,
          };
        return { phase: 'cancelled', words: 'Cancelled', canDownload: !sending && item.outcome?.kind !== 'cancelled' };
      case 'failed':
        return { phase: 'failed', words: 'Failed', detail: transfer.failure?.message, canDownload: false };
    }
  }
  if (item.outcome?.kind === 'cancelled')
    return { phase: 'cancelled', words: mine ? 'Cancelled' : 'Cancelled by the sender', canDownload: false };
  if (mine) {
    if (item.outcome?.kind === 'completed') return { phase: 'complete', words: 'Sent', canDownload: true };
    return {
      phase: 'sending',
      words: 'Sent from another device',
      detail: 'Its progress shows on the device that sends it.',
      canDownload: true,
    };
  }
  if (item.outcomeFollows && !item.outcome)
    return {
      phase: 'offered',
      words: 'Uploading now',
      detail: 'You can download it while it arrives.',
      canDownload: true,
    };
  return {
    phase: 'offered',
    words: item.format === 'plain' ? 'Not end-to-end encrypted' : 'Ready to download',
    canDownload: true,
  };
}
