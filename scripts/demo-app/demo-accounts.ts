import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MatrixRequestError, type MatrixSession } from '../../shared/matrix/client-session.js';
import type { StackInfo } from '../stack/stack-info.js';
import { registerUser } from '../stack/users.js';
import {
  createEncryptedRoom,
  joinedMembers,
  joinRoom,
  matrixCall,
  MEGOLM,
  roomEncryption,
  setDisplayName,
  signIn,
  signOut,
} from './matrix-api.js';

/*
 * The demo's two people and their room. Made on the first run and kept (with the passwords, mode 0600,
 * beside the stack's own secrets), so a second run is the same Alice and Bob in the same room, their
 * apps still signed in, what they sent still there. Made again when the stack no longer knows them
 * (`npm run stack -- clean`) or the room is no longer theirs.
 */

export const ROOM_NAME = 'Slipstream demo';

export interface DemoPerson {
  /** The display name, and how the demo speaks of them. */
  readonly name: 'Alice' | 'Bob';
  readonly userId: string;
  /** What to type in the app's sign-in form. */
  readonly username: string;
  readonly password: string;
}

export interface DemoAccounts {
  readonly homeserverUrl: string;
  readonly alice: DemoPerson;
  readonly bob: DemoPerson;
  readonly roomId: string;
}

export interface EnsuredAccounts extends DemoAccounts {
  /** Alice and Bob are those of an earlier run (their apps may still be signed in). */
  readonly peopleReused: boolean;
  /** And so is their room. */
  readonly roomReused: boolean;
}

async function readSaved(file: string): Promise<DemoAccounts | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DemoAccounts;
  } catch {
    return undefined;
  }
}

/** Both signed in, or undefined when the homeserver no longer accepts these accounts. */
async function signInBoth(accounts: DemoAccounts): Promise<[MatrixSession, MatrixSession] | undefined> {
  const sessions: MatrixSession[] = [];
  try {
    for (const person of [accounts.alice, accounts.bob]) {
      sessions.push(await signIn(accounts.homeserverUrl, person.username, person.password));
    }
    return sessions as [MatrixSession, MatrixSession];
  } catch (error) {
    await Promise.all(sessions.map(signOut));
    if (error instanceof MatrixRequestError && error.code === 'M_FORBIDDEN') return undefined;
    throw error;
  }
}

/** Whether both are still joined to the room and it is still encrypted. */
async function roomIsIntact(alice: MatrixSession, bob: MatrixSession, roomId: string): Promise<boolean> {
  try {
    const members = await joinedMembers(alice, roomId);
    return (
      members.includes(alice.userId) && members.includes(bob.userId) && (await roomEncryption(alice, roomId)) === MEGOLM
    );
  } catch {
    // Alice left it, or it is gone: a new room.
    return false;
  }
}

async function createRoom(alice: MatrixSession, bob: MatrixSession): Promise<string> {
  const roomId = await createEncryptedRoom(alice, ROOM_NAME, [bob.userId]);
  await joinRoom(bob, roomId);
  return roomId;
}

/** Registers Alice and Bob afresh (alice-<random>, so never someone else's account), named as the demo calls them. */
async function registerBoth(stack: StackInfo): Promise<[DemoPerson, DemoPerson]> {
  const suffix = randomBytes(3).toString('hex');
  const people: DemoPerson[] = [];
  for (const name of ['Alice', 'Bob'] as const) {
    const user = await registerUser(stack, `${name.toLowerCase()}-${suffix}`);
    const session = { homeserverUrl: stack.baseUrl, accessToken: user.accessToken };
    await setDisplayName({ ...session, userId: user.userId }, name);
    // Registration signs a device in; the demo needs none of its own left behind in the app's device list.
    await matrixCall(session, 'POST', '/logout', {});
    people.push({ name, userId: user.userId, username: user.username, password: user.password });
  }
  return people as [DemoPerson, DemoPerson];
}

/** The demo's accounts and room on this stack: the saved ones when they still work, else new ones. */
export async function ensureDemoAccounts(stack: StackInfo, file: string): Promise<EnsuredAccounts> {
  const saved = await readSaved(file);
  const savedSessions = saved?.homeserverUrl === stack.baseUrl ? await signInBoth(saved) : undefined;
  let accounts: DemoAccounts;
  let sessions: [MatrixSession, MatrixSession] | undefined;
  if (saved && savedSessions) {
    [accounts, sessions] = [saved, savedSessions];
  } else {
    const [alice, bob] = await registerBoth(stack);
    accounts = { homeserverUrl: stack.baseUrl, alice, bob, roomId: '' };
    sessions = await signInBoth(accounts);
    if (!sessions) throw new Error('the accounts the demo has just registered cannot sign in');
  }
  const [alice, bob] = sessions;
  try {
    const roomReused = accounts.roomId !== '' && (await roomIsIntact(alice, bob, accounts.roomId));
    if (!roomReused) accounts = { ...accounts, roomId: await createRoom(alice, bob) };
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
    return { ...accounts, peopleReused: accounts.alice === saved?.alice, roomReused };
  } finally {
    await Promise.all([alice, bob].map(signOut));
  }
}
