import { useState } from 'react';
import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { CancelTransferDialog } from './CancelTransferDialog';
import { isActive } from './transfer-words';
import type { TransferAction } from './transfers-store';
import { useTransfers } from './use-transfers';

interface ActionButton {
  readonly action: TransferAction | 'confirmCancel';
  readonly label: string;
}

/** What can be done in each state; nothing else is offered. */
function buttonsFor(transfer: TransferUpdate): ActionButton[] {
  const cancel: ActionButton = { action: 'confirmCancel', label: 'Cancel' };
  const remove: ActionButton = { action: 'forget', label: 'Remove' };
  if (isActive(transfer)) return [{ action: 'pause', label: 'Pause' }, cancel];
  switch (transfer.status) {
    case 'paused':
      return [{ action: 'resume', label: 'Resume' }, cancel];
    case 'failed':
      return [{ action: 'retry', label: 'Retry' }, remove];
    case 'completed':
      return [
        ...(transfer.direction === 'receive' ? [{ action: 'open', label: 'Open' } as const] : []),
        // A file dropped into the browser was copied into the app: it has no folder of its own to show.
        ...(transfer.dropped ? [] : [{ action: 'showInFolder', label: 'Show in folder' } as const]),
        remove,
      ];
    default:
      return [remove];
  }
}

export function TransferActions({ transfer }: { readonly transfer: TransferUpdate }) {
  const act = useTransfers((state) => state.act);
  const busy = useTransfers((state) => state.busy[transfer.id]);
  const [confirming, setConfirming] = useState(false);

  return (
    <div className="transfer-actions">
      {buttonsFor(transfer).map(({ action, label }) => (
        <button
          key={action}
          type="button"
          className={action === 'confirmCancel' ? 'quiet danger-text' : 'quiet'}
          disabled={busy !== undefined}
          aria-label={`${label} ${transfer.fileName}`}
          onClick={() => (action === 'confirmCancel' ? setConfirming(true) : void act(transfer.id, action))}
        >
          {label}
        </button>
      ))}
      {confirming && (isActive(transfer) || transfer.status === 'paused') && (
        <CancelTransferDialog
          transfer={transfer}
          onClose={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void act(transfer.id, 'cancel');
          }}
        />
      )}
    </div>
  );
}
