import { Dialog } from '../../components/Dialog';
import { countOf } from '../../text/quantities';

interface SignOutDialogProps {
  /** Transfers queued or moving, which signing out pauses. */
  readonly running: number;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}

/** What signing out costs — the encrypted history on this device, and running transfers — said before, not found out after. */
export function SignOutDialog({ running, onConfirm, onClose }: SignOutDialogProps) {
  return (
    <Dialog
      role="alertdialog"
      title="Sign out?"
      onClose={onClose}
      className="confirm"
      description={
        <>
          <p>
            This device’s encryption keys are deleted when you sign out: signing in again makes a new device, which
            cannot read the encrypted messages and files sent before.
          </p>
          {running > 0 && (
            <p>
              {running === 1 ? '1 transfer is' : `${countOf(running, 'transfer')} are`} still running.{' '}
              {running === 1 ? 'It' : 'They'} will pause, and continue when you sign in to this account again.
            </p>
          )}
        </>
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
