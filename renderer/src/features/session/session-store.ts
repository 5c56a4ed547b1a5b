import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SlipstreamApi, StoredSession } from '../../../../shared/ipc-contract';
import { messageOf } from '../../text/error-message';
import { logout, passwordLogin, resolveHomeserver } from '../../../../shared/matrix/client-session';
import { browserMatrixFetch } from './browser-fetch';

export type SessionPhase = 'loading' | 'signedOut' | 'signingIn' | 'signedIn' | 'signingOut';

export interface SignInDetails {
  /** A homeserver URL or a server name, as typed. */
  readonly homeserver: string;
  readonly username: string;
  readonly password: string;
}

export interface SessionState {
  readonly phase: SessionPhase;
  readonly session: StoredSession | null;
  /** Why the last sign-in (or loading the saved session) failed. */
  readonly error: string | null;
  /** Something to know after signing out, such as a homeserver that could not be told. */
  readonly notice: string | null;
  load(): Promise<void>;
  signIn(details: SignInDetails): Promise<void>;
  signOut(): Promise<void>;
  dismissMessages(): void;
}

export type SessionStore = StoreApi<SessionState>;

/**
 * Who is signed in, kept by the main side in its secret store (never in the page's storage): read at
 * start, replaced at sign-in, cleared at sign-out after the homeserver ended the device's session.
 */
export function createSessionStore(api: SlipstreamApi): SessionStore {
  return createStore<SessionState>((set, get) => ({
    phase: 'loading',
    session: null,
    error: null,
    notice: null,

    async load() {
      try {
        const session = await api.loadSession();
        set({ phase: session ? 'signedIn' : 'signedOut', session, error: null });
      } catch (error) {
        set({ phase: 'signedOut', session: null, error: `Your saved sign-in could not be read: ${messageOf(error)}` });
      }
    },

    async signIn(details) {
      if (get().phase === 'signingIn') return;
      set({ phase: 'signingIn', error: null, notice: null });
      let session: StoredSession;
      try {
        const homeserverUrl = await resolveHomeserver(browserMatrixFetch, details.homeserver);
        session = await passwordLogin(browserMatrixFetch, {
          homeserverUrl,
          username: details.username,
          password: details.password,
          deviceName: 'Slipstream',
        });
      } catch (error) {
        set({ phase: 'signedOut', error: messageOf(error) });
        return;
      }
      try {
        await api.saveSession(session);
      } catch (error) {
        // A session Slipstream cannot keep is ended at once rather than left behind on the server.
        await logout(browserMatrixFetch, session).catch(() => undefined);
        set({ phase: 'signedOut', error: `Signed in, but Slipstream could not keep the session: ${messageOf(error)}` });
        return;
      }
      set({ phase: 'signedIn', session, error: null });
    },

    async signOut() {
      const { session } = get();
      if (!session || get().phase === 'signingOut') return;
      set({ phase: 'signingOut', error: null, notice: null });
      // Slipstream lets go first — its transfers pause while the token still works — and only then is
      // the device's session ended on the homeserver.
      try {
        await api.clearSession();
      } catch (error) {
        set({ phase: 'signedIn', error: `Slipstream could not forget your sign-in: ${messageOf(error)}` });
        return;
      }
      let notice: string | null = null;
      try {
        await logout(browserMatrixFetch, session);
      } catch (error) {
        notice = `Signed out of Slipstream, but the homeserver could not be told to end this device's session (${messageOf(error)}). You can remove the device "Slipstream" from another client.`;
      }
      set({ phase: 'signedOut', session: null, notice });
    },

    dismissMessages() {
      set({ error: null, notice: null });
    },
  }));
}
