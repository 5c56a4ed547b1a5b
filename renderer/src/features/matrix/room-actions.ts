import type { MatrixClient } from 'matrix-js-sdk';
import { userIdSchema } from '../../../../shared/app/identifiers';

/*
 * What a person does to rooms, through matrix-js-sdk. Each throws an Error whose message is one
 * sentence (the homeserver's own words where it gave some), for the view to show.
 */

const MEGOLM = { algorithm: 'm.megolm.v1.aes-sha2' };

/** User IDs typed into one field, separated by spaces, commas or new lines; each checked. */
export function parseUserIds(text: string): string[] {
  const ids = text
    .split(/[\s,;]+/)
    .map((id) => id.trim())
    .filter(Boolean);
  for (const id of ids) {
    if (!userIdSchema.safeParse(id).success)
      throw new Error(`"${id}" is not a Matrix user ID: they look like @name:example.org.`);
  }
  return [...new Set(ids)];
}

export interface NewRoom {
  readonly name: string;
  readonly invite: readonly string[];
  readonly encrypted: boolean;
}

export async function createRoom(client: MatrixClient, room: NewRoom): Promise<string> {
  const { room_id: roomId } = await client.createRoom({
    name: room.name.trim() || undefined,
    invite: [...room.invite],
    preset: 'private_chat' as never,
    initial_state: room.encrypted ? [{ type: 'm.room.encryption', state_key: '', content: MEGOLM }] : [],
  });
  return roomId;
}

/** A direct chat with one person: encrypted, and marked as direct in the account's `m.direct`. */
export async function createDirectChat(client: MatrixClient, userId: string): Promise<string> {
  const { room_id: roomId } = await client.createRoom({
    is_direct: true,
    invite: [userId],
    preset: 'trusted_private_chat' as never,
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: MEGOLM }],
  });
  await markDirect(client, userId, roomId);
  return roomId;
}

async function markDirect(client: MatrixClient, userId: string, roomId: string): Promise<void> {
  const current = (client.getAccountData('m.direct' as never)?.getContent() ?? {}) as Record<string, string[]>;
  const rooms = current[userId] ?? [];
  if (rooms.includes(roomId)) return;
  await client.setAccountData('m.direct' as never, { ...current, [userId]: [...rooms, roomId] } as never);
}

export async function invite(client: MatrixClient, roomId: string, userIds: readonly string[]): Promise<void> {
  for (const userId of userIds) await client.invite(roomId, userId);
}

/** Accepts an invite; a direct chat's invite also marks the room as direct for this account. */
export async function acceptInvite(client: MatrixClient, roomId: string): Promise<void> {
  const inviter = client.getRoom(roomId)?.getDMInviter();
  await client.joinRoom(roomId);
  if (inviter) await markDirect(client, inviter, roomId);
}

export async function declineInvite(client: MatrixClient, roomId: string): Promise<void> {
  await client.leave(roomId);
}

export async function leaveRoom(client: MatrixClient, roomId: string): Promise<void> {
  await client.leave(roomId);
}

export async function sendText(client: MatrixClient, roomId: string, body: string): Promise<void> {
  await client.sendMessage(roomId, { msgtype: 'm.text', body } as never);
}
