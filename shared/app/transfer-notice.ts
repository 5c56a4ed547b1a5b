import type { TransferUpdate } from '../transfer/transfer-update.js';

/** A transfer that stopped moving for good, as a notification says it. */
export type NoticeOutcome = 'completed' | 'failed';

/**
 * The notification for a transfer that completed or failed: Electron's (main/electron) and the
 * browser's (the renderer's, in the browser host) say the same.
 */
export function transferNotice(update: TransferUpdate, outcome: NoticeOutcome): { title: string; body: string } {
  const sending = update.direction === 'send';
  if (outcome === 'failed') {
    return {
      title: `${sending ? 'Could not send' : 'Could not receive'} ${update.fileName}`,
      body: update.failure?.message ?? 'The transfer stopped. You can retry it from the transfers list.',
    };
  }
  return sending
    ? { title: `Sent ${update.fileName}`, body: 'It is uploaded; everyone in the room can download it.' }
    : {
        title: `Received ${update.fileName}`,
        body: update.savedPath ? `Saved as ${update.savedPath}` : 'It is saved.',
      };
}
