import { createHmac, randomBytes } from 'node:crypto';
import type { StackInfo } from './stack-info.js';

export interface MatrixUser {
  readonly userId: string;
  readonly accessToken: string;
  /** The localpart and password it was registered with, for tests that sign in as a person does. */
  readonly username: string;
  readonly password: string;
}

/**
 * Registers a user on the stack's Synapse with the shared-secret registration API: fetch a nonce, then
 * POST the registration with mac = HMAC-SHA1(secret, nonce NUL user NUL password NUL "notadmin"), hex.
 * The localpart defaults to a fresh random one, so runs never collide.
 */
export async function registerUser(stack: StackInfo, localpart?: string): Promise<MatrixUser> {
  const username = localpart ?? `test-${randomBytes(6).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const endpoint = `${stack.synapseUrl}/_synapse/admin/v1/register`;
  const nonceResponse = await fetch(endpoint);
  if (!nonceResponse.ok) throw new Error(`registration nonce: HTTP ${nonceResponse.status}`);
  const { nonce } = (await nonceResponse.json()) as { nonce: string };
  const mac = createHmac('sha1', stack.registrationSharedSecret)
    .update([nonce, username, password, 'notadmin'].join('\0'))
    .digest('hex');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ nonce, username, password, mac, admin: false }),
  });
  const body = (await response.json()) as { user_id?: string; access_token?: string; error?: string };
  if (!response.ok || !body.user_id || !body.access_token) {
    throw new Error(`registering ${username}: HTTP ${response.status} ${body.error ?? JSON.stringify(body)}`);
  }
  return { userId: body.user_id, accessToken: body.access_token, username, password };
}
