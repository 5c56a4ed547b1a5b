import type { TransferUpdate } from '../../../shared/transfer/transfer-update.js';
import type { ProgressMeter } from './progress-meter.js';
import { hasEveryByte, isWaitingForOutcome } from './receive-outcome.js';
import type { TransferRecord } from './transfer-record.js';

/** What only the running engine knows about a transfer, beside its record. */
export interface LiveState {
  readonly bytesDone: number;
  readonly retry?: TransferUpdate['retry'];
  readonly meter?: ProgressMeter;
}

/** A transfer as the UI sees it (shared/transfer/transfer-update.ts): its record, and how it moves now. */
export function snapshotOf(record: TransferRecord, live: LiveState): TransferUpdate {
  const { bytesDone, meter } = live;
  // A receive that waits for its sender's outcome has every byte: nothing moves, nothing to estimate.
  const active = (record.status === 'uploading' || record.status === 'downloading') && !isWaitingForOutcome(record);
  const eta = active ? meter?.etaSeconds(bytesDone, record.size) : undefined;
  return {
    id: record.id,
    direction: record.direction,
    status: record.status,
    createdAt: record.createdAt,
    fileName: record.fileName,
    mimetype: record.mimetype,
    bytesDone,
    bytesTotal: record.size,
    rate: active ? (meter?.rate ?? 0) : 0,
    ...(eta !== undefined && { etaSeconds: eta }),
    ...(record.contentUri !== undefined && { contentUri: record.contentUri }),
    ...(record.direction === 'receive' && record.savedPath !== undefined && { savedPath: record.savedPath }),
    ...(active && live.retry && { retry: live.retry }),
    ...(record.failure && { failure: record.failure }),
    ...(record.roomId !== undefined && { roomId: record.roomId }),
    ...(record.eventId !== undefined && { eventId: record.eventId }),
    ...(record.direction === 'send' ? sendFacts(record) : receiveFacts(record)),
  };
}

function sendFacts(record: Extract<TransferRecord, { direction: 'send' }>): Partial<TransferUpdate> {
  return {
    ...(record.status === 'completed' &&
      record.ciphertextSha256 !== undefined && {
        ciphertextSha256: record.ciphertextSha256,
      }),
    ...(record.eventId !== undefined && { announced: true as const }),
    ...(record.outcomeAnnounced && { outcomeAnnounced: true as const }),
  };
}

function receiveFacts(record: Extract<TransferRecord, { direction: 'receive' }>): Partial<TransferUpdate> {
  return {
    ...(hasEveryByte(record) && { ciphertextSha256: record.ciphertextSha256 }),
    ...(isWaitingForOutcome(record) && { waitingForOutcome: true as const }),
    ...(record.verified && { verified: true as const }),
    ...(record.format === 'plain' && { unencrypted: true as const }),
    ...(record.cancelledBySender && { cancelledBySender: true as const }),
  };
}

/** Plaintext bytes done, as a transfer's record says when it is not running. */
export function recordedBytesDone(record: TransferRecord): number {
  if (record.status === 'completed') return record.size;
  if (record.direction === 'receive') return record.checkpoint.plaintextOffset;
  // A send not running shows how far it got, not zero, until it runs again and the server is asked.
  const acknowledged =
    record.ciphertextSize === 0 ? 0 : Math.floor((record.size * record.acknowledged) / record.ciphertextSize);
  return Math.max(acknowledged, record.sentWhenStopped ?? 0);
}
