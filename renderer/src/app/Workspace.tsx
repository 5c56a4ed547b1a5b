import { OpenedFilesOffer } from '../features/sending/OpenedFilesOffer';
import { SendFilesButton } from '../features/sending/SendFilesButton';
import { SendProblems } from '../features/sending/SendProblems';
import { useSession } from '../features/session/use-session';
import { TransfersPanel } from '../features/transfers/TransfersPanel';
import { ErrorNotice } from '../components/ErrorNotice';

/** What a signed-in person works in: sending, what was handed over, and the transfers. */
export function Workspace({ inert }: { readonly inert: boolean }) {
  const sessionError = useSession((state) => state.error);
  const dismissMessages = useSession((state) => state.dismissMessages);
  return (
    <main className="workspace" inert={inert}>
      {sessionError && <ErrorNotice message={sessionError} onDismiss={dismissMessages} />}
      <div className="send-bar">
        <SendFilesButton />
        <p className="send-hint">or drop files anywhere in this window — any size.</p>
      </div>
      <OpenedFilesOffer />
      <SendProblems />
      <TransfersPanel />
    </main>
  );
}
