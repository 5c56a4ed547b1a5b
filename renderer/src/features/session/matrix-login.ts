import type { StoredSession } from '../../../../shared/ipc-contract';
import { describeServer, fetchFromServer, jsonOf, MatrixRequestError } from './matrix-http';

/*
 * Password sign-in and sign-out over the client-server API (Matrix spec, "Login" and "Logout").
 * matrix-js-sdk takes these over with the rooms; what stays is the session's shape and the sentences.
 */

export interface PasswordLogin {
  readonly homeserverUrl: string;
  readonly username: string;
  readonly password: string;
}

function refusal(
  code: string,
  error: string | undefined,
  body: Record<string, unknown> | undefined,
  status: number,
): string {
  switch (code) {
    case 'M_FORBIDDEN':
      return 'Wrong username or password.';
    case 'M_USER_DEACTIVATED':
      return 'This account has been deactivated on its homeserver.';
    case 'M_LIMIT_EXCEEDED': {
      const wait = typeof body?.['retry_after_ms'] === 'number' ? Math.ceil(body['retry_after_ms'] / 1000) : undefined;
      return `Too many sign-in attempts. ${wait ? `Wait ${wait} s` : 'Wait a little'} and try again.`;
    }
    default:
      return `The homeserver refused to sign you in: ${error ?? `HTTP ${status}`}${code ? ` (${code})` : ''}.`;
  }
}

/** Signs in with a password; the new device is named "Slipstream" in the account's device list. */
export async function passwordLogin({ homeserverUrl, username, password }: PasswordLogin): Promise<StoredSession> {
  const user = username.trim();
  if (!user)
    throw new MatrixRequestError('INVALID_USERNAME', 'Enter your username, such as alice or @alice:example.org.');
  if (!password) throw new MatrixRequestError('INVALID_PASSWORD', 'Enter your password.');
  const response = await fetchFromServer(homeserverUrl, `${homeserverUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password,
      initial_device_display_name: 'Slipstream',
    }),
  });
  const body = await jsonOf(response);
  if (!response.ok) {
    const code = typeof body?.['errcode'] === 'string' ? body['errcode'] : '';
    const error = typeof body?.['error'] === 'string' ? body['error'] : undefined;
    throw new MatrixRequestError(code || 'LOGIN_FAILED', refusal(code, error, body, response.status));
  }
  const userId = body?.['user_id'];
  const accessToken = body?.['access_token'];
  const deviceId = body?.['device_id'];
  if (typeof userId !== 'string' || typeof accessToken !== 'string' || typeof deviceId !== 'string') {
    throw new MatrixRequestError(
      'NOT_MATRIX',
      `${describeServer(homeserverUrl)} answered the sign-in with something that is not a Matrix session.`,
    );
  }
  return { homeserverUrl, userId, deviceId, accessToken };
}

/**
 * Ends the device's session on the homeserver. A token the server no longer knows is already signed
 * out, which is what was asked.
 */
export async function logout(session: StoredSession): Promise<void> {
  const response = await fetchFromServer(session.homeserverUrl, `${session.homeserverUrl}/_matrix/client/v3/logout`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${session.accessToken}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  if (response.ok || response.status === 401) return;
  const body = await jsonOf(response);
  const error = typeof body?.['error'] === 'string' ? body['error'] : `HTTP ${response.status}`;
  throw new MatrixRequestError(
    typeof body?.['errcode'] === 'string' ? body['errcode'] : 'LOGOUT_FAILED',
    `The homeserver did not end this device's session: ${error}.`,
  );
}
