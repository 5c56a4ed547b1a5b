import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import type { SlipstreamApi } from '../../../../shared/ipc-contract';
import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import {
  OUTCOME_FOLLOWS_KEY,
  TRANSFER_OUTCOME_EVENT_TYPE,
  transferOutcomeContent,
  type TransferOutcome,
} from '../../../../shared/matrix/transfer-outcome';
import { isFinalStatus, type TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { announcedContent } from '../sending/announcement';
import type { SentMediaDetails } from '../thumbnails/sent-media-details';
import type { SettingsStore } from '../settings/settings-store';
import type { TransfersStore } from '../transfers/transfers-store';
import { messageOf } from '../../text/error-message';
import type { MatrixStore } from './matrix-store';
import { outcomesOf, senderOutcome } from '../room/timeline-items';

/*
 * Where files meet room events (docs/PROTOCOL.md §7). The engine moves the bytes; this posts what
 * the room must know and tells the engine what the room said:
 * - a send's file event, as soon as the engine answers with its content (and, at start, for sends
 *   whose event was never posted because the window closed in between);
 * - a send's outcome event once it completed (with the ciphertext's SHA-256) or was cancelled;
 * - a receive's outcome, from its file's own sender only, so the engine verifies or stops;
 * - new files from others up to the auto-download size start downloading on their own.
 */

export interface FileCoordinator {
  /** Posts a just-started send's file event in its room and tells the engine the event's ID. */
  announce(roomId: string, sent: { transferId: string; content: FileMessageContent }): Promise<void>;
  /** Posts "cancelled" for a failed send about to be removed, whose receivers would otherwise wait. */
  beforeForget(id: string): Promise<void>;
  /** Starts receiving a file event's file (a click on Download, or an auto-download). */
  receive(room: Room, event: MatrixEvent): Promise<string>;
  dispose(): void;
}

export interface FileCoordinatorDependencies {
  readonly api: SlipstreamApi;
  readonly matrix: MatrixStore;
  readonly transfers: TransfersStore;
  readonly settings: SettingsStore;
  /** A problem to show (the event could not be posted, say). */
  readonly report: (message: string) => void;
  /** An image's, video's or audio file's size, duration and thumbnail for its event, within a short deadline. */
  readonly mediaDetails: SentMediaDetails;
}

const FILE_MSGTYPES = new Set(['m.file', 'm.image', 'm.video', 'm.audio']);
/** How long a send the person started waits for its room to be ready for events. */
const POSTABLE_WAIT_MS = 10_000;
const DEFERRED_RETRY_MS = 1_000;

function isFileEvent(event: MatrixEvent): boolean {
  if (event.getType() !== 'm.room.message' || event.isDecryptionFailure() || event.isRedacted()) return false;
  const content = event.getContent();
  return (
    FILE_MSGTYPES.has(content['msgtype'] as string) &&
    (typeof content['file'] === 'object' || typeof content['url'] === 'string')
  );
}

function fileSize(event: MatrixEvent): number | undefined {
  const info = event.getContent()['info'] as { size?: unknown } | undefined;
  return typeof info?.size === 'number' ? info.size : undefined;
}

export function createFileCoordinator({
  api,
  matrix,
  transfers,
  settings,
  report,
  mediaDetails,
}: FileCoordinatorDependencies): FileCoordinator {
  /** Work under way or done this session, so nothing is posted or settled twice. */
  const announcing = new Set<string>();
  const postingOutcome = new Set<string>();
  const settled = new Set<string>();
  const receiving = new Set<string>();
  /** File events that arrived while the page was listening (not history): only these auto-download. */
  const live = new Set<string>();
  let resumedAnnouncements = false;

  const client = (): MatrixClient | null => {
    const state = matrix.getState();
    return state.phase === 'ready' ? state.client : null;
  };

  const note = (request: Parameters<SlipstreamApi['noteSendEvents']>[0]) =>
    api
      .noteSendEvents(request)
      .catch((error: unknown) => report(`Slipstream could not record a sent event: ${messageOf(error)}`));

  /**
   * Whether an event can go into the room now. Just after a start, the room list may know a room is
   * encrypted before matrix-js-sdk's crypto has taken the room in; a send then fails ("Cannot encrypt
   * event in unconfigured room") and the library logs it as an error. Such work waits for a later pass.
   */
  async function canPostIn(ready: MatrixClient, roomId: string): Promise<boolean> {
    const room = ready.getRoom(roomId);
    if (!room || room.getMyMembership() !== 'join') return false;
    if (!room.hasEncryptionStateEvent()) return true;
    const crypto = ready.getCrypto();
    if (!crypto || !(await crypto.isEncryptionEnabledInRoom(roomId))) return false;
    // Every member's devices known before the event's key is shared: just after a start, a send can
    // otherwise go out under a key some member's device never gets, and stay unreadable there.
    await room.loadMembersIfNeeded();
    await crypto.getUserDeviceInfo(
      room.getJoinedMembers().map((member) => member.userId),
      true,
    );
    return true;
  }

  /** For what the person just did: waits a little for the room to be ready rather than failing at once. */
  async function untilPostable(ready: MatrixClient, roomId: string): Promise<void> {
    for (let waited = 0; waited < POSTABLE_WAIT_MS; waited += 250) {
      if (await canPostIn(ready, roomId)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * Posts an event into a room. matrix-js-sdk's crypto encrypts only in rooms whose `m.room.encryption`
   * event its sync loop handed over; after a start we have seen a room stay "unconfigured" although
   * the room's state holds that event (and its stored settings say encrypted), and every post fail
   * with "Cannot encrypt event in unconfigured room" until the page reloads. Then the event is handed
   * over as the sync loop does (`onCryptoEvent`, the crypto backend's sync callback) and the post tried once more.
   */
  async function post(ready: MatrixClient, roomId: string, type: string, content: object): Promise<string> {
    const send = async () => (await ready.sendEvent(roomId, type as never, content as never)).event_id;
    try {
      return await send();
    } catch (error) {
      const room = ready.getRoom(roomId);
      const encryption = room?.currentState.getStateEvents('m.room.encryption', '');
      const crypto = ready.getCrypto() as
        { onCryptoEvent?: (room: Room, event: MatrixEvent) => Promise<void> } | undefined;
      if (!/unconfigured room/i.test(messageOf(error)) || !room || !encryption || !crypto?.onCryptoEvent) throw error;
      await crypto.onCryptoEvent(room, encryption);
      return await send();
    }
  }

  async function announce(roomId: string, sent: { transferId: string; content: FileMessageContent }) {
    const ready = matrix.getState().client;
    if (!ready) throw new Error('not connected to your homeserver yet');
    announcing.add(sent.transferId);
    try {
      // The thumbnail is made while the room gets ready; it never holds the event past its deadline.
      const [media] = await Promise.all([mediaDetails(ready, roomId, sent), untilPostable(ready, roomId)]);
      const eventId = await post(ready, roomId, 'm.room.message', announcedContent(sent.content, media));
      await note({ id: sent.transferId, eventId });
    } finally {
      announcing.delete(sent.transferId);
    }
  }

  /** Sends whose file event was never posted (the window closed between the engine's answer and the post). */
  async function announceLeftovers(ready: MatrixClient) {
    const { byId } = transfers.getState();
    for (const transfer of Object.values(byId)) {
      if (transfer.direction !== 'send' || transfer.announced || !transfer.roomId) continue;
      if (transfer.status === 'cancelled' || transfer.status === 'failed' || announcing.has(transfer.id)) continue;
      if (ready.getRoom(transfer.roomId)?.getMyMembership() !== 'join') continue;
      if (!(await canPostIn(ready, transfer.roomId))) {
        deferred = true;
        continue;
      }
      announcing.add(transfer.id);
      try {
        const content = await api.transferContent({ id: transfer.id });
        const eventId = await post(ready, transfer.roomId, 'm.room.message', announcedContent(content));
        await note({ id: transfer.id, eventId });
      } catch (error) {
        report(
          `${transfer.fileName} is being sent, but its message could not be posted in the room: ${messageOf(error)}`,
        );
      } finally {
        announcing.delete(transfer.id);
      }
    }
  }

  function outcomeOfSend(transfer: TransferUpdate): TransferOutcome | undefined {
    if (transfer.status === 'cancelled') return { kind: 'cancelled' };
    if (transfer.status === 'completed' && transfer.ciphertextSha256)
      return { kind: 'completed', size: transfer.bytesTotal, ciphertextSha256: transfer.ciphertextSha256 };
    return undefined;
  }

  async function postOutcomes(ready: MatrixClient) {
    for (const transfer of Object.values(transfers.getState().byId)) {
      if (transfer.direction !== 'send' || !transfer.eventId || !transfer.roomId || transfer.outcomeAnnounced) continue;
      const outcome = outcomeOfSend(transfer);
      if (!outcome || postingOutcome.has(transfer.id)) continue;
      if (!(await canPostIn(ready, transfer.roomId))) {
        deferred = true;
        continue;
      }
      postingOutcome.add(transfer.id);
      try {
        await post(
          ready,
          transfer.roomId,
          TRANSFER_OUTCOME_EVENT_TYPE,
          transferOutcomeContent(transfer.eventId, outcome),
        );
        await note({ id: transfer.id, outcomeAnnounced: true });
      } catch (error) {
        postingOutcome.delete(transfer.id);
        // Still unconfigured after `post` handed the room over: the next pass tries again.
        if (/unconfigured room/i.test(messageOf(error))) {
          deferred = true;
          continue;
        }
        report(
          `The room could not be told that ${transfer.fileName} ${outcome.kind === 'completed' ? 'finished' : 'was cancelled'}: ${messageOf(error)}`,
        );
      }
    }
  }

  /** Receives still open whose file's sender posted an outcome: the engine verifies, or stops. */
  async function settleReceives(ready: MatrixClient) {
    // A receive that failed may have failed on the media its sender's cancel removed: it takes that cancel.
    const open = Object.values(transfers.getState().byId).filter(
      (transfer) =>
        transfer.direction === 'receive' &&
        transfer.eventId &&
        transfer.roomId &&
        (!isFinalStatus(transfer.status) || transfer.status === 'failed') &&
        !settled.has(transfer.id),
    );
    // Passes run on every progress update: each room's timeline is read once per pass, not once per receive.
    const outcomesByRoom = new Map<string, ReturnType<typeof outcomesOf>>();
    for (const transfer of open) {
      const room = ready.getRoom(transfer.roomId!);
      const fileEvent = room?.findEventById(transfer.eventId!);
      if (!room || !fileEvent) continue;
      let outcomes = outcomesByRoom.get(room.roomId);
      if (!outcomes) {
        outcomes = outcomesOf(room.getLiveTimeline().getEvents());
        outcomesByRoom.set(room.roomId, outcomes);
      }
      const outcome = senderOutcome(outcomes, transfer.eventId!, fileEvent.getSender() ?? '');
      if (!outcome || (transfer.status === 'failed' && outcome.kind !== 'cancelled')) continue;
      settled.add(transfer.id);
      await api.settleReceive({ id: transfer.id, outcome }).catch((error: unknown) => {
        settled.delete(transfer.id);
        report(`${transfer.fileName}: ${messageOf(error)}`);
      });
    }
  }

  async function receive(room: Room, event: MatrixEvent): Promise<string> {
    const eventId = event.getId()!;
    const content = event.getContent();
    const outcome = senderOutcome(outcomesOf(room.getLiveTimeline().getEvents()), eventId, event.getSender() ?? '');
    const { transferId } = await api.receiveFile({
      content,
      roomId: room.roomId,
      eventId,
      ...(content[OUTCOME_FOLLOWS_KEY] === true && { awaitOutcome: true }),
      ...(outcome && { outcome }),
    });
    return transferId;
  }

  async function autoDownload(ready: MatrixClient) {
    const limit = settings.getState().settings?.autoDownloadMaxBytes ?? 0;
    if (limit <= 0 || live.size === 0) return;
    const receivedEvents = new Set(Object.values(transfers.getState().byId).map((transfer) => transfer.eventId));
    for (const eventId of [...live]) {
      const event = ready
        .getRooms()
        .map((room) => [room, room.findEventById(eventId)] as const)
        .find(([, found]) => found);
      if (!event) continue;
      const [room, fileEvent] = event;
      if (!fileEvent || fileEvent.isBeingDecrypted() || (fileEvent.isEncrypted() && !fileEvent.getClearContent()))
        continue;
      live.delete(eventId);
      if (!isFileEvent(fileEvent) || fileEvent.getSender() === ready.getUserId() || receivedEvents.has(eventId))
        continue;
      const size = fileSize(fileEvent);
      if (size === undefined || size > limit || receiving.has(eventId)) continue;
      receiving.add(eventId);
      await receive(room, fileEvent).catch((error: unknown) =>
        report(`${fileEvent.getContent()['body'] ?? 'A file'} could not be downloaded: ${messageOf(error)}`),
      );
    }
  }

  let running = false;
  let again = false;
  /** Set by a pass that left work for a room not ready yet (canPostIn). */
  let deferred = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** One pass over everything that may need doing; passes never overlap. */
  async function pass() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const ready = client();
        if (!ready) return;
        deferred = false;
        if (!resumedAnnouncements && transfers.getState().loaded) {
          await announceLeftovers(ready);
          resumedAnnouncements = !deferred;
        }
        await postOutcomes(ready);
        await settleReceives(ready);
        await autoDownload(ready);
      } while (again);
    } finally {
      running = false;
    }
    // Work that waited for a room to be ready is tried again soon, even if nothing else changes.
    if (deferred && !retryTimer) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        void pass();
      }, DEFERRED_RETRY_MS);
    }
  }

  const onTimeline = (
    event: MatrixEvent,
    _room: Room | undefined,
    toStart: boolean | undefined,
    _removed: boolean,
    data: { liveEvent?: boolean },
  ) => {
    if (!toStart && data?.liveEvent && event.getId() && (event.getType() === 'm.room.message' || event.isEncrypted()))
      live.add(event.getId()!);
  };
  let watched: MatrixClient | null = null;
  const watch = () => {
    const current = matrix.getState().client;
    if (current === watched) return;
    (watched as unknown as { off?: (name: string, listener: unknown) => void })?.off?.('Room.timeline', onTimeline);
    watched = current;
    (current as unknown as { on?: (name: string, listener: unknown) => void })?.on?.('Room.timeline', onTimeline);
    live.clear();
    resumedAnnouncements = false;
  };
  const stopMatrix = matrix.subscribe(() => {
    watch();
    void pass();
  });
  const stopTransfers = transfers.subscribe(() => void pass());
  watch();
  void pass();

  /**
   * Before a send is removed from the list: one that failed and never told its room (its receivers
   * would wait for it forever) posts that it was cancelled.
   */
  async function beforeForget(id: string) {
    const transfer = transfers.getState().byId[id];
    const ready = client();
    if (!ready || !transfer || transfer.direction !== 'send' || transfer.status !== 'failed') return;
    if (!transfer.eventId || !transfer.roomId || transfer.outcomeAnnounced) return;
    await untilPostable(ready, transfer.roomId);
    await post(
      ready,
      transfer.roomId,
      TRANSFER_OUTCOME_EVENT_TYPE,
      transferOutcomeContent(transfer.eventId, { kind: 'cancelled' }),
    );
  }

  return {
    announce,
    receive,
    beforeForget,
    dispose() {
      if (retryTimer) clearTimeout(retryTimer);
      stopMatrix();
      stopTransfers();
      (watched as unknown as { off?: (name: string, listener: unknown) => void })?.off?.('Room.timeline', onTimeline);
    },
  };
}
