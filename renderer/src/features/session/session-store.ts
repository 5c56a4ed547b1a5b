import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SlipstreamApi, StoredSession } from '../../../../shared/ipc-contract';
import { messageOf } from '../../text/error-message';
import { logout, passwordLogin, resolveHomeserver } from '../../../../shared/matrix/client-session';
import { browserMatrixFetch } from './browser-fetch';
import { newCryptoStoreKey } from '../matrix/matrix-client';

/** A session with the key of its device's encrypted key store (made at sign-in, or for a session saved before there was one). */
export type ActiveSession = StoredSession & { readonly cryptoStoreKey: string };

export type SessionPhase = 'loading' | 'signedOut' | 'signingIn' | 'signedIn' | 'signingOut';

export interface SignInDetails {
  /** A homeserver URL or a server name, as typed. */
  readonly homeserver: string;
  readonly username: string;
  readonly password: string;
}

export interface SessionState {
  readonly phase: SessionPhase;
  readonly session: ActiveSession | null;
  /** The session was made by signing in on this page just now, not restored from the secret store. */
  readonly fresh: boolean;
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
export interface SessionHooks {
  /** Before the session ends: the Matrix client stops and this device's keys are deleted from the page. */
  readonly onSigningOut?: (session: ActiveSession) => Promise<void>;
}

export function createSessionStore(api: SlipstreamApi, hooks: SessionHooks = {}): SessionStore {
  return createStore<SessionState>((set, get) => ({
    phase: 'loading',
    session: null,
    fresh: false,
    error: null,
    notice: null,

    async load() {
      try {
        const saved = await api.loadSession();
        let session: ActiveSession | null = null;
        if (saved?.cryptoStoreKey) session = { ...saved, cryptoStoreKey: saved.cryptoStoreKey };
        else if (saved) {
          // Saved before Slipstream kept encryption keys: give the device's key store its key now.
          session = { ...saved, cryptoStoreKey: newCryptoStoreKey() };
          await api.saveSession(session);
        }
        set({ phase: session ? 'signedIn' : 'signedOut', session, fresh: false, error: null });
      } catch (error) {
        set({ phase: 'signedOut', session: null, error: `Your saved sign-in could not be read: ${messageOf(error)}` });
      }
    },

    async signIn(details) {
      if (get().phase === 'signingIn') return;
      set({ phase: 'signingIn', error: null, notice: null });
      let session: ActiveSession;
      try {
        const homeserverUrl = await resolveHomeserver(browserMatrixFetch, details.homeserver);
        const login = await passwordLogin(browserMatrixFetch, {
          homeserverUrl,
          username: details.username,
          password: details.password,
          deviceName: 'Slipstream',
        });
        session = { ...login, cryptoStoreKey: newCryptoStoreKey() };
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
      set({ phase: 'signedIn', session, fresh: true, error: null });
    },

    async signOut() {
      const { session } = get();
      if (!session || get().phase === 'signingOut') return;
      set({ phase: 'signingOut', error: null, notice: null });
      let keysNotice: string | null = null;
      try {
        await hooks.onSigningOut?.(session);
      } catch (error) {
        keysNotice = `This device's encryption keys could not all be deleted from this browser: ${messageOf(error)}`;
      }
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
      set({ phase: 'signedOut', session: null, notice: [notice, keysNotice].filter(Boolean).join(' ') || null });
    },

    dismissMessages() {
      set({ error: null, notice: null });
    },
  }));
}
