import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { Dialog } from '../../components/Dialog';

interface CancelTransferDialogProps {
  readonly transfer: TransferUpdate;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}

/** Cancelling cannot be undone, and for a send it takes the file away from everyone it was shared with. */
export function CancelTransferDialog({ transfer, onConfirm, onClose }: CancelTransferDialogProps) {
  const sending = transfer.direction === 'send';
  return (
    <Dialog
      role="alertdialog"
      title={sending ? `Cancel sending ${transfer.fileName}?` : `Cancel receiving ${transfer.fileName}?`}
      onClose={onClose}
      className="confirm"
      description={
        <p>
          {sending
            ? 'The upload stops and cannot be resumed; you would have to send the file again. Anyone who already has its link can no longer download it.'
            : 'The part downloaded so far is deleted. You can download the file again later from the room.'}
        </p>
      }
    >
      <div className="dialog-actions">
        <button type="button" data-autofocus onClick={onClose}>
          Keep going
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          Cancel transfer
        </button>
      </div>
    </Dialog>
  );
}
