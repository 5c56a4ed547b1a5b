import type { MatrixEvent } from 'matrix-js-sdk';
import {
  OUTCOME_FOLLOWS_KEY,
  parseTransferOutcome,
  TRANSFER_OUTCOME_EVENT_TYPE,
  type TransferOutcome,
} from '../../../../shared/matrix/transfer-outcome';

/*
 * What a room's timeline shows, from matrix-js-sdk's events: text messages, files (each with the
 * outcome its sender posted, if any), messages that could not be decrypted, and who joined or left.
 * Outcome events are not shown on their own: they are a file's state.
 */

interface ItemBase {
  readonly id: string;
  readonly sender: string;
  readonly senderName: string;
  readonly timestamp: number;
  /** Still on its way to the homeserver (a local echo). */
  readonly pending: boolean;
}

export type FileFormat = 'v3' | 'v2' | 'plain';

export interface FileItem extends ItemBase {
  readonly kind: 'file';
  readonly content: Record<string, unknown>;
  readonly fileName: string;
  readonly size: number | undefined;
  readonly mimetype: string | undefined;
  readonly format: FileFormat;
  /** The sender promised an outcome event (Slipstream senders do). */
  readonly outcomeFollows: boolean;
  /** The sender's own outcome event for it; outcomes posted by anyone else are ignored. */
  readonly outcome: TransferOutcome | undefined;
}

export type TimelineItem =
  | (ItemBase & { readonly kind: 'text'; readonly body: string; readonly emote: boolean })
  | FileItem
  | (ItemBase & {
      readonly kind: 'undecryptable';
      readonly reason: string;
      readonly why: string | undefined;
      readonly count: number;
    })
  | (ItemBase & { readonly kind: 'notice'; readonly text: string });

const FILE_MSGTYPES = new Set(['m.file', 'm.image', 'm.video', 'm.audio']);

function base(event: MatrixEvent): ItemBase {
  const sender = event.getSender() ?? 'someone';
  return {
    id: event.getId() ?? `local-${event.getTs()}`,
    sender,
    senderName: event.sender?.name ?? sender,
    timestamp: event.getTs(),
    pending: event.status !== null,
  };
}

function formatOf(content: Record<string, unknown>): FileFormat | undefined {
  const file = content['file'];
  if (typeof file === 'object' && file !== null) {
    const version = (file as { v?: unknown }).v;
    if (version === 'v2') return 'v2';
    if (version === 'org.matrix.msc4016.v3') return 'v3';
    return undefined;
  }
  return typeof content['url'] === 'string' ? 'plain' : undefined;
}

function fileItem(
  event: MatrixEvent,
  content: Record<string, unknown>,
  outcome: TransferOutcome | undefined,
): FileItem | undefined {
  const format = formatOf(content);
  if (!format) return undefined;
  const info = (typeof content['info'] === 'object' && content['info'] !== null ? content['info'] : {}) as Record<
    string,
    unknown
  >;
  const names = [content['filename'], content['body']].filter(
    (name): name is string => typeof name === 'string' && name !== '',
  );
  return {
    ...base(event),
    kind: 'file',
    content,
    fileName: names[0] ?? 'file',
    size: typeof info['size'] === 'number' ? info['size'] : undefined,
    mimetype: typeof info['mimetype'] === 'string' ? info['mimetype'] : undefined,
    format,
    outcomeFollows: content[OUTCOME_FOLLOWS_KEY] === true,
    outcome,
  };
}

function membershipText(event: MatrixEvent): string | undefined {
  const content = event.getContent();
  const previous = event.getPrevContent();
  const who = (content['displayname'] as string | undefined) ?? event.getStateKey() ?? 'someone';
  const by = event.sender?.name ?? event.getSender() ?? 'someone';
  switch (content['membership']) {
    case 'join':
      return previous['membership'] === 'join' ? undefined : `${who} joined`;
    case 'invite':
      return `${by} invited ${who}`;
    case 'leave':
      if (event.getSender() !== event.getStateKey())
        return `${by} removed ${previous['displayname'] ?? event.getStateKey()}`;
      return previous['membership'] === 'invite'
        ? `${who} declined the invitation`
        : `${previous['displayname'] ?? who} left`;
    case 'ban':
      return `${by} banned ${event.getStateKey()}`;
    default:
      return undefined;
  }
}

const DECRYPTION_FAILURES: Record<string, string> = {
  MEGOLM_UNKNOWN_INBOUND_SESSION_ID: "this device has not been given the message's key (yet).",
  OLM_UNKNOWN_MESSAGE_INDEX: 'this device was given the key only for later messages.',
  MEGOLM_KEY_WITHHELD: "the sender's device chose not to share the key with this device.",
  MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE:
    'the sender shares keys only with verified devices, and this one is not verified.',
  HISTORICAL_MESSAGE_NO_KEY_BACKUP: 'it was sent before this device signed in.',
  HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED: 'it was sent before this device signed in.',
  HISTORICAL_MESSAGE_WORKING_BACKUP: 'it was sent before this device signed in, and its key is not in your key backup.',
  HISTORICAL_MESSAGE_USER_NOT_JOINED: 'it was sent while you were not in the room.',
  SENDER_IDENTITY_PREVIOUSLY_VERIFIED: "the sender's identity changed since you verified it.",
  UNSIGNED_SENDER_DEVICE: "the sender's device is not signed by its owner.",
  UNKNOWN_SENDER_DEVICE: "the sender's device is unknown.",
};

/** Why an event could not be decrypted, in words a person can act on (undefined: no known reason). */
function decryptionFailureWhy(event: MatrixEvent): string | undefined {
  return DECRYPTION_FAILURES[event.decryptionFailureReason ?? ''];
}

/** The sentence for `count` messages in a row that could not be decrypted for the same reason. */
export function undecryptableSentence(count: number, why: string | undefined): string {
  const lead = count === 1 ? 'This message could not be decrypted' : `${count} messages could not be decrypted`;
  return why ? `${lead}: ${why}` : `${lead}.`;
}

/** The outcome each file event's own sender posted, by file event ID. */
export function outcomesOf(events: readonly MatrixEvent[]): Map<string, { sender: string; outcome: TransferOutcome }> {
  const outcomes = new Map<string, { sender: string; outcome: TransferOutcome }>();
  for (const event of events) {
    if (event.getType() !== TRANSFER_OUTCOME_EVENT_TYPE) continue;
    const parsed = parseTransferOutcome(event.getContent());
    const sender = event.getSender();
    // The first outcome counts: an upload ends once.
    if (parsed && sender && !outcomes.has(parsed.fileEventId))
      outcomes.set(parsed.fileEventId, { sender, outcome: parsed.outcome });
  }
  return outcomes;
}

/** The sender's outcome for a file event, if its own sender posted one. */
export function senderOutcome(
  outcomes: ReadonlyMap<string, { sender: string; outcome: TransferOutcome }>,
  fileEventId: string,
  fileSender: string,
): TransferOutcome | undefined {
  const found = outcomes.get(fileEventId);
  return found && found.sender === fileSender ? found.outcome : undefined;
}

/** The timeline's events as items, oldest first. */
export function timelineItems(events: readonly MatrixEvent[]): TimelineItem[] {
  const outcomes = outcomesOf(events);
  const items: TimelineItem[] = [];
  for (const event of events) {
    if (event.isRedacted()) continue;
    if (event.isDecryptionFailure()) {
      // A run of messages this device cannot read, for the same reason, is said once (a new device meets
      // a whole history of them).
      const why = decryptionFailureWhy(event);
      const previous = items.at(-1);
      if (previous?.kind === 'undecryptable' && previous.why === why) {
        items[items.length - 1] = {
          ...previous,
          count: previous.count + 1,
          reason: undecryptableSentence(previous.count + 1, why),
        };
      } else {
        items.push({ ...base(event), kind: 'undecryptable', why, count: 1, reason: undecryptableSentence(1, why) });
      }
      continue;
    }
    const type = event.getType();
    if (type === 'm.room.member') {
      const text = membershipText(event);
      if (text) items.push({ ...base(event), kind: 'notice', text });
      continue;
    }
    if (type === 'm.room.encryption') {
      items.push({ ...base(event), kind: 'notice', text: 'Messages and files in this room are end-to-end encrypted' });
      continue;
    }
    if (type !== 'm.room.message') continue;
    const content = event.getContent();
    const msgtype = content['msgtype'];
    if (typeof msgtype === 'string' && FILE_MSGTYPES.has(msgtype)) {
      const id = event.getId();
      const outcome = id ? senderOutcome(outcomes, id, event.getSender() ?? '') : undefined;
      const item = fileItem(event, content, outcome);
      if (item) items.push(item);
      continue;
    }
    if (typeof content['body'] === 'string') {
      items.push({ ...base(event), kind: 'text', body: content['body'], emote: msgtype === 'm.emote' });
    }
  }
  return items;
}
