import type { MatrixClient, Room } from 'matrix-js-sdk';

/** What the room list shows of a room: computed from matrix-js-sdk's Room after every change. */
export interface RoomSummary {
  readonly roomId: string;
  readonly name: string;
  readonly membership: 'join' | 'invite';
  readonly isDirect: boolean;
  readonly encrypted: boolean;
  /** Messages not read yet (the homeserver's count, corrected by matrix-js-sdk for encrypted rooms). */
  readonly unread: number;
  readonly lastActive: number;
  readonly memberCount: number;
  /** Who invited this account (invites only). */
  readonly inviter: string | undefined;
}

/** Room IDs the account's `m.direct` marks as direct chats. */
function directRoomIds(client: MatrixClient): Set<string> {
  const content = client.getAccountData('m.direct' as never)?.getContent() ?? {};
  const ids = new Set<string>();
  for (const rooms of Object.values(content as Record<string, unknown>)) {
    if (Array.isArray(rooms)) for (const id of rooms) if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

function summaryOf(room: Room, direct: Set<string>, userId: string): RoomSummary | undefined {
  const membership = room.getMyMembership();
  if (membership !== 'join' && membership !== 'invite') return undefined;
  if (room.isSpaceRoom()) return undefined;
  const inviter =
    membership === 'invite' ? (room.getDMInviter() ?? room.getMember(userId)?.events.member?.getSender()) : undefined;
  const isDirect = direct.has(room.roomId) || (membership === 'invite' && room.getDMInviter() !== undefined);
  return {
    roomId: room.roomId,
    name: room.name || room.roomId,
    membership,
    isDirect,
    encrypted: room.hasEncryptionStateEvent(),
    unread: membership === 'join' ? room.getUnreadNotificationCount() : 0,
    lastActive: room.getLastActiveTimestamp(),
    memberCount: room.getJoinedMemberCount(),
    inviter,
  };
}

/** Every room the account is in or invited to, invites first, then the most recently active. */
export function roomSummaries(client: MatrixClient): RoomSummary[] {
  const direct = directRoomIds(client);
  const userId = client.getSafeUserId();
  return client
    .getRooms()
    .map((room) => summaryOf(room, direct, userId))
    .filter((summary): summary is RoomSummary => summary !== undefined)
    .sort((a, b) => {
      if (a.membership !== b.membership) return a.membership === 'invite' ? -1 : 1;
      return b.lastActive - a.lastActive;
    });
}

/** Whether a room matches what was typed in the room list's search. */
export function matchesSearch(summary: RoomSummary, query: string): boolean {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const haystack = `${summary.name} ${summary.roomId}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}
