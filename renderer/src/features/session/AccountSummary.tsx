import { useState } from 'react';
import { isActive } from '../transfers/transfer-words';
import { useTransfers } from '../transfers/use-transfers';
import { SignOutDialog } from './SignOutDialog';
import { useSession } from './use-session';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Who is signed in, and on which homeserver. */
export function AccountSummary() {
  const session = useSession((state) => state.session);
  if (!session) return null;
  return (
    <p className="account-who">
      Signed in as <strong>{session.userId}</strong>
      <span className="account-where"> on {hostOf(session.homeserverUrl)}</span>
    </p>
  );
}

/** Asks first: signing out deletes this device's keys, and pauses transfers (the main side pauses them). */
export function SignOutButton() {
  const hasSession = useSession((state) => state.session !== null);
  const phase = useSession((state) => state.phase);
  const signOut = useSession((state) => state.signOut);
  const running = useTransfers((state) => Object.values(state.byId).filter(isActive).length);
  const [asking, setAsking] = useState(false);
  if (!hasSession) return null;
  return (
    <>
      <button type="button" onClick={() => setAsking(true)} disabled={phase === 'signingOut'}>
        {phase === 'signingOut' ? 'Signing out…' : 'Sign out'}
      </button>
      {asking && (
        <SignOutDialog
          running={running}
          onClose={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            void signOut();
          }}
        />
      )}
    </>
  );
}
