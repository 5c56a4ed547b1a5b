import { createHmac, randomBytes } from 'node:crypto';
import { stackUp } from '../../scripts/stack/stack.js';
import type { StackInfo } from '../../scripts/stack/stack-info.js';

export type { StackInfo } from '../../scripts/stack/stack-info.js';

let stackOnce: Promise<StackInfo> | undefined;

/**
 * Brings the local stack up (or finds it running) and returns `.stack/stack.json`. Call it in each
 * test file's `beforeAll`: within a worker it runs once; across workers the stack's lock file makes the
 * first caller provision and start while the others wait and then find it running. The stack is left
 * running after the tests, so the next run starts in a second.
 */
export function ensureStack(): Promise<StackInfo> {
  stackOnce ??= stackUp((line) => console.error(`stack: ${line}`)).catch((error: unknown) => {
    stackOnce = undefined;
    throw error;
  });
  return stackOnce;
}

export interface MatrixUser {
  readonly userId: string;
  readonly accessToken: string;
}

/**
 * Registers a user with Synapse's shared-secret registration API: fetch a nonce, then POST the
 * registration with mac = HMAC-SHA1(secret, nonce NUL user NUL password NUL "notadmin"), hex.
 * The localpart defaults to a fresh random one, so tests never collide across runs.
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
  return { userId: body.user_id, accessToken: body.access_token };
}
