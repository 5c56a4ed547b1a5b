import { Dialog } from '../../components/Dialog';
import { countOf } from '../../text/quantities';

interface SignOutDialogProps {
  /** Transfers queued or moving, which signing out pauses. */
  readonly running: number;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}

/** Signing out stops every transfer of the account where it is: said before, not found out after. */
export function SignOutDialog({ running, onConfirm, onClose }: SignOutDialogProps) {
  return (
    <Dialog
      role="alertdialog"
      title="Sign out?"
      onClose={onClose}
      className="confirm"
      description={
        <p>
          {running === 1 ? '1 transfer is' : `${countOf(running, 'transfer')} are`} still running.{' '}
          {running === 1 ? 'It' : 'They'} will pause, and continue when you sign in to this account again.
        </p>
      }
    >
      <div className="dialog-actions">
        <button type="button" data-autofocus onClick={onClose}>
          Stay signed in
        </button>
        <button type="button" className="primary" onClick={onConfirm}>
          Sign out
        </button>
      </div>
    </Dialog>
  );
}
