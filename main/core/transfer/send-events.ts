import { TransferError } from './transfer-error.js';
import type { SendRecord, TransferRecord } from './transfer-record.js';

/** What the app posted for a send: its file event, then (once the upload ended) its outcome event. */
export interface SendEvents {
  readonly eventId?: string;
  readonly outcomeAnnounced?: true;
}

/**
 * A send's record with the events the app posted for it (docs/PROTOCOL.md §7). The file event's ID is
 * kept once (an outcome event refers to it); the outcome event comes only after it, once the upload
 * completed or was cancelled.
 */
export function withSendEvents(record: TransferRecord, events: SendEvents): SendRecord {
  const refuse = (why: string): never => {
    throw new TransferError('WRONG_STATE', `"${record.fileName}" ${why}`);
  };
  if (record.direction !== 'send') return refuse("is a received file: its events are its sender's");
  if (events.eventId !== undefined && record.eventId !== undefined && events.eventId !== record.eventId) {
    refuse(`was already announced, as event ${record.eventId}`);
  }
  const eventId = events.eventId ?? record.eventId;
  if (events.outcomeAnnounced) {
    if (eventId === undefined) refuse('has no file event for an outcome event to refer to');
    if (record.status !== 'completed' && record.status !== 'cancelled') {
      refuse(`is ${record.status}: its outcome event comes once it completed or was cancelled`);
    }
  }
  return {
    ...record,
    ...(eventId !== undefined && { eventId }),
    ...(events.outcomeAnnounced && { outcomeAnnounced: true }),
  };
}
