import { type FormEvent, useState } from 'react';
import { serverNameOf } from '../../../../shared/matrix/client-session';
import { useSession } from './use-session';

export function SignInForm() {
  const phase = useSession((state) => state.phase);
  const error = useSession((state) => state.error);
  const notice = useSession((state) => state.notice);
  const signIn = useSession((state) => state.signIn);
  const [homeserver, setHomeserver] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signingIn = phase === 'signingIn';
  const fromMatrixId = serverNameOf(username);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn({ homeserver: homeserver.trim() || fromMatrixId || '', username, password });
  };

  return (
    <section className="sign-in card" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in to your Matrix account</h2>
      <p className="lead">
        Slipstream shares files through Matrix rooms, encrypted on this computer. Sign in with the account you use in
        Element or any other Matrix app.
      </p>
      {notice && (
        <div className="notice" role="status">
          <p>{notice}</p>
        </div>
      )}
      <form onSubmit={submit} noValidate aria-busy={signingIn}>
        <label className="field">
          <span>Username or Matrix ID</span>
          <input
            name="username"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            placeholder="alice or @alice:example.org"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
        </label>
        <div className="field">
          <label htmlFor="homeserver">Homeserver</label>
          <input
            id="homeserver"
            name="homeserver"
            type="text"
            inputMode="url"
            autoComplete="url"
            spellCheck={false}
            placeholder={fromMatrixId ?? 'example.org or https://matrix.example.org'}
            aria-describedby="homeserver-hint"
            value={homeserver}
            onChange={(event) => setHomeserver(event.target.value)}
          />
          <small id="homeserver-hint" className="hint">
            Not needed when you typed a full Matrix ID (@you:<strong>example.org</strong>). Otherwise your server’s name
            (example.org) or address.
          </small>
        </div>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {error && (
          <div className="notice notice-error" role="alert">
            <p>{error}</p>
          </div>
        )}
        <button type="submit" className="primary" disabled={signingIn}>
          {signingIn ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
