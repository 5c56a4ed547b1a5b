import { logout, type MatrixFetch, type MatrixSession, passwordLogin } from '../../shared/matrix/client-session.js';

/*
 * The few client-server API calls the demo makes to set its room up: no crypto is needed to create an
 * encrypted room, only its `m.room.encryption` state. Signing in and out is the app's own code
 * (shared/matrix/client-session.ts).
 */

const TIMEOUT_MS = 15_000;

/** Node's fetch, with a timeout, in the shape shared/matrix/client-session.ts takes. */
export const nodeFetch: MatrixFetch = (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });

/** The algorithm every Matrix client encrypts room messages with. */
export const MEGOLM = 'm.megolm.v1.aes-sha2';

export class MatrixCallError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'MatrixCallError';
  }
}

/** What a call needs of a session. */
type Caller = Pick<MatrixSession, 'homeserverUrl' | 'accessToken'>;

/** One authenticated call; the parsed JSON answer, or a MatrixCallError carrying the server's errcode. */
export async function matrixCall<T>(
  session: Caller,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${session.homeserverUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { Authorization: `Bearer ${session.accessToken}`, 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const answer = (await response.json().catch(() => ({}))) as T & { errcode?: string; error?: string };
  if (!response.ok) {
    throw new MatrixCallError(
      response.status,
      answer.errcode,
      `${method} ${path}: HTTP ${response.status} ${answer.errcode ?? ''} ${answer.error ?? ''}`.trim(),
    );
  }
  return answer;
}

const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;

/** Signs in with a password: a short-lived device of the demo's, ended with `signOut`. */
export function signIn(homeserverUrl: string, username: string, password: string): Promise<MatrixSession> {
  return passwordLogin(nodeFetch, { homeserverUrl, username, password, deviceName: 'Slipstream demo set-up' });
}

export function signOut(session: MatrixSession): Promise<void> {
  return logout(nodeFetch, session);
}

export async function setDisplayName(
  session: Caller & Pick<MatrixSession, 'userId'>,
  displayName: string,
): Promise<void> {
  await matrixCall(session, 'PUT', `/profile/${encodeURIComponent(session.userId)}/displayname`, {
    displayname: displayName,
  });
}

/** A private room with encryption on from its first event, its invitations sent. */
export async function createEncryptedRoom(session: MatrixSession, name: string, invite: string[]): Promise<string> {
  const { room_id } = await matrixCall<{ room_id: string }>(session, 'POST', '/createRoom', {
    name,
    preset: 'private_chat',
    invite,
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: MEGOLM } }],
  });
  return room_id;
}

export async function joinRoom(session: MatrixSession, roomId: string): Promise<void> {
  await matrixCall(session, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
}

/** The user IDs joined to a room, as one of its members sees them. */
export async function joinedMembers(session: MatrixSession, roomId: string): Promise<string[]> {
  const { joined } = await matrixCall<{ joined: Record<string, unknown> }>(
    session,
    'GET',
    `${room(roomId)}/joined_members`,
  );
  return Object.keys(joined);
}

/** The room's encryption algorithm, or undefined when it is not encrypted. */
export async function roomEncryption(session: MatrixSession, roomId: string): Promise<string | undefined> {
  try {
    const { algorithm } = await matrixCall<{ algorithm?: string }>(
      session,
      'GET',
      `${room(roomId)}/state/m.room.encryption/`,
    );
    return algorithm;
  } catch (error) {
    if (error instanceof MatrixCallError && error.errcode === 'M_NOT_FOUND') return undefined;
    throw error;
  }
}
