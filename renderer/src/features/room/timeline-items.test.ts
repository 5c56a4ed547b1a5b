import { MatrixEvent } from 'matrix-js-sdk';
import { describe, expect, it } from 'vitest';
import { OUTCOME_FOLLOWS_KEY, TRANSFER_OUTCOME_EVENT_TYPE } from '../../../../shared/matrix/transfer-outcome';
import { cardState } from './file-card-state';
import { type FileItem, timelineItems } from './timeline-items';

const HASH = 'A'.repeat(43);
let clock = 1_700_000_000_000;

function event(type: string, sender: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  clock += 1000;
  return new MatrixEvent({
    type,
    sender,
    content,
    event_id: `$e${clock}`,
    origin_server_ts: clock,
    room_id: '!r:x',
    ...extra,
  });
}

const v3File = { v: 'org.matrix.msc4016.v3', key: {}, iv: 'AAAA', url: 'mxc://x/m' };

function fileEvent(sender = '@alice:x', content: Record<string, unknown> = {}) {
  return event('m.room.message', sender, {
    msgtype: 'm.video',
    body: 'film.mp4 (1 GB), shared with Slipstream…',
    filename: 'film.mp4',
    file: v3File,
    info: { size: 1024, mimetype: 'video/mp4' },
    [OUTCOME_FOLLOWS_KEY]: true,
    ...content,
  });
}

function outcome(sender: string, fileEventId: string, body: Record<string, unknown>) {
  return event(TRANSFER_OUTCOME_EVENT_TYPE, sender, {
    'm.relates_to': { rel_type: 'm.reference', event_id: fileEventId },
    ...body,
  });
}

describe('a room timeline as the room view shows it', () => {
  it('shows text, files by their file name (not the caption for other clients), and hides outcome events', () => {
    const file = fileEvent();
    const items = timelineItems([
      event('m.room.message', '@bob:x', { msgtype: 'm.text', body: 'hi' }),
      file,
      outcome('@alice:x', file.getId()!, { outcome: 'completed', size: 1024, ciphertext_sha256: HASH }),
    ]);
    expect(items.map((item) => item.kind)).toEqual(['text', 'file']);
    const card = items[1] as FileItem;
    expect(card).toMatchObject({
      fileName: 'film.mp4',
      size: 1024,
      mimetype: 'video/mp4',
      format: 'v3',
      outcomeFollows: true,
    });
    expect(card.outcome).toEqual({ kind: 'completed', size: 1024, ciphertextSha256: HASH });
  });

  it('ignores an outcome posted by anyone but the file’s own sender', () => {
    const file = fileEvent();
    const items = timelineItems([file, outcome('@mallory:x', file.getId()!, { outcome: 'cancelled' })]);
    expect((items[0] as FileItem).outcome).toBeUndefined();
  });

  it('takes the first outcome of a file, and refuses a completed one without size and hash', () => {
    const file = fileEvent();
    const incomplete = timelineItems([file, outcome('@alice:x', file.getId()!, { outcome: 'completed' })]);
    expect((incomplete[0] as FileItem).outcome).toBeUndefined();
    const twice = timelineItems([
      file,
      outcome('@alice:x', file.getId()!, { outcome: 'cancelled' }),
      outcome('@alice:x', file.getId()!, { outcome: 'completed', size: 1, ciphertext_sha256: HASH }),
    ]);
    expect((twice[0] as FileItem).outcome).toEqual({ kind: 'cancelled' });
  });

  it('reads v2 and plain url files, and skips file messages with neither', () => {
    const items = timelineItems([
      fileEvent('@bob:x', { file: { ...v3File, v: 'v2' }, [OUTCOME_FOLLOWS_KEY]: undefined }),
      event('m.room.message', '@bob:x', { msgtype: 'm.image', body: 'cat.png', url: 'mxc://x/cat', info: { size: 5 } }),
      event('m.room.message', '@bob:x', { msgtype: 'm.file', body: 'nothing.bin' }),
    ]);
    expect(items.map((item) => (item as FileItem).format)).toEqual(['v2', 'plain']);
    expect((items[1] as FileItem).fileName).toBe('cat.png');
  });

  it('says who joined, left or was invited, and that the room is encrypted', () => {
    const items = timelineItems([
      event('m.room.encryption', '@alice:x', { algorithm: 'm.megolm.v1.aes-sha2' }, { state_key: '' }),
      event('m.room.member', '@alice:x', { membership: 'invite', displayname: 'Bob' }, { state_key: '@bob:x' }),
      event('m.room.member', '@bob:x', { membership: 'join', displayname: 'Bob' }, { state_key: '@bob:x' }),
      event(
        'm.room.member',
        '@bob:x',
        { membership: 'leave' },
        { state_key: '@bob:x', unsigned: { prev_content: { membership: 'join', displayname: 'Bob' } } },
      ),
    ]);
    expect(items.map((item) => (item.kind === 'notice' ? item.text : item.kind))).toEqual([
      'Messages and files in this room are end-to-end encrypted',
      '@alice:x invited Bob',
      'Bob joined',
      'Bob left',
    ]);
  });
});

describe('messages this device cannot decrypt', () => {
  it('says why, once for a run of them with the same reason', () => {
    const failed = (reason: string) => {
      const encrypted = event('m.room.encrypted', '@alice:x', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' });
      Object.defineProperty(encrypted, 'isDecryptionFailure', { value: () => true });
      Object.defineProperty(encrypted, 'decryptionFailureReason', { value: reason });
      return encrypted;
    };
    const items = timelineItems([
      failed('HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED'),
      failed('HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED'),
      failed('HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED'),
      event('m.room.message', '@bob:x', { msgtype: 'm.text', body: 'hi' }),
      failed('MEGOLM_KEY_WITHHELD'),
      failed('SOMETHING_NEW'),
    ]);
    expect(items.map((item) => (item.kind === 'undecryptable' ? item.reason : item.kind))).toEqual([
      '3 messages could not be decrypted: it was sent before this device signed in.',
      'text',
      "This message could not be decrypted: the sender's device chose not to share the key with this device.",
      'This message could not be decrypted.',
    ]);
  });
});

describe('a file card’s state', () => {
  const item = (overrides: Partial<FileItem> = {}): FileItem => ({
    kind: 'file',
    id: '$f',
    sender: '@alice:x',
    senderName: 'Alice',
    timestamp: 0,
    pending: false,
    content: {},
    fileName: 'film.mp4',
    size: 10,
    mimetype: 'video/mp4',
    format: 'v3',
    outcomeFollows: true,
    outcome: undefined,
    ...overrides,
  });
  const transfer = (overrides: Record<string, unknown>) =>
    ({
      id: 't1',
      direction: 'receive',
      status: 'downloading',
      createdAt: 0,
      fileName: 'film.mp4',
      mimetype: 'video/mp4',
      bytesDone: 5,
      bytesTotal: 10,
      rate: 100,
      ...overrides,
    }) as never;

  it('offers a download while the sender still uploads, and says the sender cancelled', () => {
    expect(cardState(item(), undefined, '@bob:x')).toMatchObject({
      phase: 'offered',
      words: 'Uploading now',
      canDownload: true,
    });
    expect(cardState(item({ outcome: { kind: 'cancelled' } }), undefined, '@bob:x')).toMatchObject({
      words: 'Cancelled by the sender',
      canDownload: false,
    });
  });

  it('follows the receive: arriving, waiting for the sender, verified, cancelled by the sender, failed with the reason', () => {
    expect(cardState(item(), transfer({}), '@bob:x').words).toBe('Downloading');
    expect(cardState(item(), transfer({ rate: 0 }), '@bob:x').words).toBe('Downloading');
    expect(cardState(item(), transfer({ rate: 0 }), '@bob:x', true).words).toBe('Waiting for the sender');
    expect(cardState(item(), transfer({ waitingForOutcome: true }), '@bob:x').phase).toBe('waiting');
    expect(cardState(item(), transfer({ status: 'completed', verified: true }), '@bob:x').words).toBe(
      'Completed · verified',
    );
    expect(cardState(item(), transfer({ status: 'cancelled', cancelledBySender: true }), '@bob:x').detail).toBe(
      'What had arrived was deleted.',
    );
    expect(
      cardState(
        item(),
        transfer({ status: 'failed', failure: { code: 'HASH_MISMATCH', message: 'It was altered.' } }),
        '@bob:x',
      ),
    ).toMatchObject({ words: 'Failed', detail: 'It was altered.' });
  });

  it('shows the sender their own upload', () => {
    expect(cardState(item(), transfer({ direction: 'send', status: 'uploading' }), '@alice:x').phase).toBe('sending');
    expect(cardState(item(), transfer({ direction: 'send', status: 'completed' }), '@alice:x').words).toBe('Sent');
    expect(cardState(item(), undefined, '@alice:x').words).toBe('Sent from another device');
  });
});
