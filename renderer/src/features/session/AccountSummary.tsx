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

export function SignOutButton() {
  const hasSession = useSession((state) => state.session !== null);
  const phase = useSession((state) => state.phase);
  const signOut = useSession((state) => state.signOut);
  if (!hasSession) return null;
  return (
    <button type="button" onClick={() => void signOut()} disabled={phase === 'signingOut'}>
      {phase === 'signingOut' ? 'Signing out…' : 'Sign out'}
    </button>
  );
}
