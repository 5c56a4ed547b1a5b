import { transferNotice } from '../../../../shared/app/transfer-notice';
import { isFinalStatus, type TransferStatus } from '../../../../shared/transfer/transfer-update';
import type { TransfersStore } from './transfers-store';

/*
 * In the browser host, the page itself tells of a transfer that completed or failed while the person
 * looks elsewhere (in Electron, main does it with the system's notifications). Only with the
 * browser's permission, which the person gives in Settings; never for what was already finished when
 * the page loaded.
 */

export function notificationsAllowed(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

export function watchForNotifications(transfers: TransfersStore): () => void {
  const seen = new Map<string, TransferStatus>();
  for (const [id, transfer] of Object.entries(transfers.getState().byId)) seen.set(id, transfer.status);
  return transfers.subscribe(({ byId }) => {
    for (const [id, transfer] of Object.entries(byId)) {
      const before = seen.get(id);
      seen.set(id, transfer.status);
      if (before === transfer.status || (before !== undefined && isFinalStatus(before))) continue;
      if (transfer.status !== 'completed' && transfer.status !== 'failed') continue;
      // A transfer first heard of already finished (a list loaded after a reconnection) is old news.
      if (before === undefined) continue;
      if (!notificationsAllowed() || (document.visibilityState === 'visible' && document.hasFocus())) continue;
      const { title, body } = transferNotice(transfer, transfer.status);
      const notification = new Notification(title, { body, tag: `slipstream-${id}` });
      notification.onclick = () => window.focus();
    }
  });
}
