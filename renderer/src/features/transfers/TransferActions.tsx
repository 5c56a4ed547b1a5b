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

/** The button's name for screen readers, which hear it away from its row: the file is in it. */
function accessibleName({ action, label }: ActionButton, fileName: string): string {
  // The visible words come first in the name (what a voice-control user says), then the file.
  return action === 'forget' ? `${label}: ${fileName}` : `${label} ${fileName}`;
}

/**
 * A send whose file changed cannot go out again under the same key, and one the server dropped has
 * nothing left to resume: the engine refuses to retry both (the failure's sentence says to send again).
 */
function canRetry(transfer: TransferUpdate): boolean {
  const code = transfer.failure?.code;
  return !(transfer.direction === 'send' && (code === 'SOURCE_CHANGED' || code === 'MEDIA_UNAVAILABLE'));
}

/** What can be done in each state; nothing else is offered. */
function buttonsFor(transfer: TransferUpdate): ActionButton[] {
  const cancel: ActionButton = { action: 'confirmCancel', label: 'Cancel' };
  // Only the row goes: the file itself stays where it is (and with the people it was sent to).
  const remove: ActionButton = { action: 'forget', label: 'Remove from list' };
  if (isActive(transfer)) return [{ action: 'pause', label: 'Pause' }, cancel];
  switch (transfer.status) {
    case 'paused':
      return [{ action: 'resume', label: 'Resume' }, cancel];
    case 'failed':
      return canRetry(transfer) ? [{ action: 'retry', label: 'Retry' }, remove] : [remove];
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

/** `inCard`: on a file's card in a room, where "Remove from list" means nothing. */
export function TransferActions({
  transfer,
  inCard = false,
}: {
  readonly transfer: TransferUpdate;
  readonly inCard?: boolean;
}) {
  const act = useTransfers((state) => state.act);
  const busy = useTransfers((state) => state.busy[transfer.id]);
  const [confirming, setConfirming] = useState(false);

  return (
    <div className="transfer-actions">
      {buttonsFor(transfer)
        .filter((button) => !inCard || button.action !== 'forget')
        .map((button) => (
          <button
            key={button.action}
            type="button"
            className={button.action === 'confirmCancel' ? 'quiet danger-text' : 'quiet'}
            disabled={busy !== undefined}
            aria-label={accessibleName(button, transfer.fileName)}
            onClick={() => {
              if (button.action === 'confirmCancel') setConfirming(true);
              else void act(transfer.id, button.action);
            }}
          >
            {button.label}
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
