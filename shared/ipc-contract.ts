import { z } from 'zod';
import { settingsPatchSchema, settingsSchema } from './app/settings.js';
import {
  absolutePathSchema,
  eventIdSchema,
  httpUrlSchema,
  roomIdSchema,
  spoolIdSchema,
  transferIdSchema,
  userIdSchema,
} from './app/identifiers.js';
import type {
  Contract,
  ContractApi,
  ContractHandlers,
  InvokeName,
  PayloadOf,
  RequestOf,
  ResponseOf,
} from './ipc/contract-kit.js';
import { fileMessageContentSchema } from './matrix/file-message.js';
import { transferOutcomeSchema } from './matrix/transfer-outcome.js';
import { transferUpdateSchema } from './transfer/transfer-update.js';

/**
 * The one contract between the renderer and the main side: every request the renderer may make and
 * every event the main side pushes. The Electron main-process handlers, the preload bridge, the
 * engine's utility process and the browser host's WebSocket are all derived from `appContract`, so a
 * channel cannot exist on one side only (`ContractHandlers` and `ContractApi` are mapped over the same
 * keys). Requests are checked by the answering side (the renderer is untrusted) and answers by the
 * calling side; failures cross as a code and a sentence (shared/ipc/ipc-error.ts).
 */

const none = z.undefined();
const done = z.null();
const transferRef = z.strictObject({ id: transferIdSchema });

export const appInfoSchema = z.strictObject({
  /** Slipstream's own version, from package.json. */
  version: z.string().min(1).max(64),
  /** Which front end the renderer runs in: Electron's window, or a browser through the browser host. */
  host: z.enum(['electron', 'browser']),
  versions: z.strictObject({
    node: z.string().min(1).max(64),
    electron: z.string().min(1).max(64).optional(),
    chrome: z.string().min(1).max(64).optional(),
  }),
  platform: z.string().min(1).max(32),
  /**
   * Prefix of a transfer's decrypted bytes for `<video>`/`<img>`: append `<transfer id>/<file name>`.
   * `slipstream-media://transfer/` in Electron, `/media/transfer/` in the browser host.
   */
  mediaBaseUrl: z.string().min(1).max(256),
  /** `native`: chooseFiles/chooseFolder open the system's dialogs. `host`: list folders with listFolder. */
  fileChooser: z.enum(['native', 'host']),
  /** Files dropped on the window: `path` (sent from where they are) or `spool` (streamed to the host first). */
  droppedFiles: z.enum(['path', 'spool']),
  /** How the session and transfer keys are protected at rest, in words. */
  secretStorage: z.string().min(1).max(500),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

/** The signed-in Matrix session, kept by the main side in the secret store (never in localStorage). */
export const storedSessionSchema = z.strictObject({
  homeserverUrl: httpUrlSchema,
  userId: userIdSchema,
  deviceId: z.string().min(1).max(255),
  accessToken: z.string().min(1).max(4096),
  /**
   * The key that encrypts this device's end-to-end keys where the renderer keeps them (matrix-js-sdk's
   * IndexedDB store): 32 random bytes, base64, kept with the session in the system's secret store.
   */
  cryptoStoreKey: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'is not 32 bytes in base64')
    .optional(),
});
export type StoredSession = z.infer<typeof storedSessionSchema>;

/** A file to send: a path on this machine, or a file the browser host spooled from a drop. */
export const sendSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('path'), path: absolutePathSchema }),
  z.strictObject({ kind: z.literal('spooled'), spoolId: spoolIdSchema }),
]);
export type SendSource = z.infer<typeof sendSourceSchema>;

export const sendFileRequestSchema = z.strictObject({
  source: sendSourceSchema,
  /** The room it goes to: picks the room's format (settings) and is shown with the transfer. */
  roomId: roomIdSchema.optional(),
  /** Overrides the settings' choice for this one file. */
  format: z.enum(['v3', 'v2']).optional(),
});

export const receiveFileRequestSchema = z.strictObject({
  /** The event's content as it arrived (decrypted): the engine reads `file`, `info` and the name from it. */
  content: z.record(z.string(), z.unknown()),
  roomId: roomIdSchema,
  eventId: eventIdSchema,
  /** False registers it without saving anything yet (watch it through the media URL, save later with resume). */
  start: z.boolean().optional(),
  /**
   * The sender said an outcome event follows (`io.slipstream.outcome_follows`): keep the file hidden
   * once every byte is in until `settleReceive` (or `outcome` here) gives the ciphertext's SHA-256.
   */
  awaitOutcome: z.boolean().optional(),
  /** The sender's outcome, when its event is already known. */
  outcome: transferOutcomeSchema.optional(),
});

export const folderEntrySchema = z.strictObject({
  name: z.string().min(1).max(1024),
  path: absolutePathSchema,
  kind: z.enum(['file', 'folder']),
  size: z.number().int().nonnegative().optional(),
  modifiedAt: z.number().optional(),
});
export type FolderEntry = z.infer<typeof folderEntrySchema>;

export const folderListingSchema = z.strictObject({
  /** The folder listed; null for the list of starting places. */
  path: absolutePathSchema.nullable(),
  /** Its parent, when that is inside what may be listed. */
  parent: absolutePathSchema.nullable(),
  entries: z.array(folderEntrySchema),
  /** The places browsing may start from: home, and the folders added on the host's command line. */
  places: z.array(z.strictObject({ label: z.string().min(1).max(200), path: absolutePathSchema })),
});
export type FolderListing = z.infer<typeof folderListingSchema>;

export const appContract = {
  invoke: {
    appInfo: { channel: 'slipstream:app-info', request: none, response: appInfoSchema },

    loadSession: { channel: 'slipstream:session-load', request: none, response: storedSessionSchema.nullable() },
    saveSession: { channel: 'slipstream:session-save', request: storedSessionSchema, response: done },
    clearSession: { channel: 'slipstream:session-clear', request: none, response: done },

    /** Answers as soon as the media ID exists, before any byte is uploaded: post `content` at once. */
    sendFile: {
      channel: 'slipstream:transfer-send',
      request: sendFileRequestSchema,
      response: z.strictObject({ transferId: transferIdSchema, content: fileMessageContentSchema }),
    },
    receiveFile: {
      channel: 'slipstream:transfer-receive',
      request: receiveFileRequestSchema,
      response: z.strictObject({ transferId: transferIdSchema }),
    },
    /** The sender's outcome event for a receive: verify and save, or stop and delete (docs/PROTOCOL.md §7). */
    settleReceive: {
      channel: 'slipstream:transfer-settle',
      request: z.strictObject({ id: transferIdSchema, outcome: transferOutcomeSchema }),
      response: done,
    },
    /** What the app posted for a send: its file event, then its outcome event. */
    noteSendEvents: {
      channel: 'slipstream:transfer-note-events',
      request: z.strictObject({
        id: transferIdSchema,
        eventId: eventIdSchema.optional(),
        outcomeAnnounced: z.literal(true).optional(),
      }),
      response: done,
    },
    pauseTransfer: { channel: 'slipstream:transfer-pause', request: transferRef, response: done },
    resumeTransfer: { channel: 'slipstream:transfer-resume', request: transferRef, response: done },
    cancelTransfer: { channel: 'slipstream:transfer-cancel', request: transferRef, response: done },
    /** Starts a failed transfer again from where the server and the disk say it got. */
    retryTransfer: { channel: 'slipstream:transfer-retry', request: transferRef, response: done },
    /** Removes a finished transfer from the list (its saved file stays where it is). */
    forgetTransfer: { channel: 'slipstream:transfer-forget', request: transferRef, response: done },
    listTransfers: { channel: 'slipstream:transfer-list', request: none, response: z.array(transferUpdateSchema) },
    /** A send's event content again (to post it if the app stopped before it could). */
    transferContent: {
      channel: 'slipstream:transfer-content',
      request: transferRef,
      response: fileMessageContentSchema,
    },
    /** Shows a received file (or a sent one's source) in the system's file manager. */
    showTransferInFolder: { channel: 'slipstream:transfer-show', request: transferRef, response: done },
    /** Opens a completed received file with the system's default app. */
    openTransfer: { channel: 'slipstream:transfer-open', request: transferRef, response: done },

    getSettings: { channel: 'slipstream:settings-get', request: none, response: settingsSchema },
    updateSettings: { channel: 'slipstream:settings-update', request: settingsPatchSchema, response: settingsSchema },

    /** The system's file dialog (Electron); the paths chosen, none when cancelled. */
    chooseFiles: {
      channel: 'slipstream:choose-files',
      request: z.strictObject({ title: z.string().max(200).optional() }).optional(),
      response: z.strictObject({ paths: z.array(absolutePathSchema) }),
    },
    /** The system's folder dialog (Electron); null when cancelled. */
    chooseFolder: {
      channel: 'slipstream:choose-folder',
      request: z.strictObject({ title: z.string().max(200).optional() }).optional(),
      response: z.strictObject({ path: absolutePathSchema.nullable() }),
    },
    /**
     * Files handed to the app from outside before the renderer was listening for `filesOpened` (the
     * command line at start, a second launch while the window loaded): each is given once.
     */
    takeOpenedFiles: {
      channel: 'slipstream:files-take-opened',
      request: none,
      response: z.strictObject({ paths: z.array(absolutePathSchema) }),
    },
    /** A folder's contents for the app's own chooser (the browser host), within home and the added folders. */
    listFolder: {
      channel: 'slipstream:folder-list',
      request: z.strictObject({ path: absolutePathSchema.optional() }),
      response: folderListingSchema,
    },
  },
  events: {
    /** A transfer changed (throttled progress; status changes at once). */
    transferUpdated: { channel: 'slipstream:transfer-updated', payload: transferUpdateSchema },
    transferForgotten: { channel: 'slipstream:transfer-forgotten', payload: transferRef },
    settingsChanged: { channel: 'slipstream:settings-changed', payload: settingsSchema },
    /** Files handed to the app from outside: a second launch, the dock icon, the command line. */
    filesOpened: {
      channel: 'slipstream:files-opened',
      payload: z.strictObject({ paths: z.array(absolutePathSchema).min(1) }),
    },
  },
} as const satisfies Contract;

export type AppContract = typeof appContract;
export type AppChannel = InvokeName<AppContract>;
export type AppRequest<N extends AppChannel> = RequestOf<AppContract, N>;
export type AppResponse<N extends AppChannel> = ResponseOf<AppContract, N>;
export type AppEventPayload<E extends keyof AppContract['events'] & string> = PayloadOf<AppContract, E>;

/** What the renderer holds, from the preload or from the browser host's WebSocket. */
export type SlipstreamApi = ContractApi<AppContract>;
/** What the main side implements. */
export type SlipstreamHandlers = ContractHandlers<AppContract>;

/**
 * What only Electron's preload adds beside the contract: the path of a file dropped on the window
 * (`webUtils.getPathForFile`), so it is sent from where it is instead of being copied. Not a channel:
 * it runs in the preload, in the renderer's own process.
 */
export interface ElectronBridgeExtras {
  readonly pathForFile: (file: object) => string;
}

/**
 * Not a contract channel: Electron's preload tells main, on this private channel, the path of each file
 * dropped on the window as it hands the path to the page. The page cannot reach ipcRenderer, and a
 * File it made itself has no path, so only real drops are granted (main/core/app/path-policy.ts).
 */
export const DROPPED_PATH_CHANNEL = 'slipstream:dropped-path';

/** The global the preload exposes the API as. */
export const API_GLOBAL_NAME = 'slipstream';
