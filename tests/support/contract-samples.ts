import type { EventName, PayloadOf } from '../../shared/ipc/contract-kit.js';
import type { AppChannel, AppContract, AppRequest, AppResponse } from '../../shared/ipc-contract.js';

/*
 * A valid request and answer, and a malformed request, for every channel of the app contract, and a
 * payload for every event: what the transport tests send through each transport. Typed over the
 * contract's own keys, so a channel added to the contract does not compile until it has samples here.
 */

export interface ChannelSample<N extends AppChannel> {
  readonly request: AppRequest<N>;
  readonly response: AppResponse<N>;
  /** A request the answering side must refuse with INVALID_REQUEST; the field the sentence names. */
  readonly malformed: { readonly request: unknown; readonly field: string };
}

const transferId = 'Qb3k2m9x1LpZ';
const session = {
  homeserverUrl: 'https://matrix.example.org',
  userId: '@alice:example.org',
  deviceId: 'SLIPSTREAMDEV',
  accessToken: 'syt_YWxpY2U_secret',
};
const settings = {
  downloadFolder: '/home/alice/Downloads',
  autoDownloadMaxBytes: 104857600,
  maxConcurrentTransfers: 3,
  defaultFormat: 'auto' as const,
  compatibleFormatMaxBytes: 52428800,
  roomFormats: { '!room:example.org': 'v3' as const },
  keepCancelledPartials: false,
  directUploads: false,
  theme: 'dark' as const,
};
const content = {
  msgtype: 'm.video' as const,
  body: 'film.mp4',
  filename: 'film.mp4',
  file: {
    v: 'org.matrix.msc4016.v3' as const,
    key: {
      kty: 'oct' as const,
      alg: 'A256GCM' as const,
      k: 'qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA',
      key_ops: ['encrypt', 'decrypt'],
      ext: true as const,
    },
    iv: 'X85+XgHN+HEqNVsN',
    url: 'mxc://example.org/abcdefghijklmnop',
  },
  info: { size: 1073741824, mimetype: 'video/mp4' },
};
const update = {
  id: transferId,
  direction: 'send' as const,
  createdAt: 1_800_000_000_000,
  status: 'uploading' as const,
  fileName: 'film.mp4',
  mimetype: 'video/mp4',
  bytesDone: 1024,
  bytesTotal: 4096,
  rate: 512,
  etaSeconds: 6,
  roomId: '!room:example.org',
  eventId: '$event123',
  announced: true as const,
};
const outcome = {
  kind: 'completed' as const,
  size: 1073741824,
  ciphertextSha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg',
};
/** A receive with every byte in, waiting for its sender's outcome event. */
const waitingReceive = {
  id: 'Wr7k2m9x1LpZ',
  direction: 'receive' as const,
  createdAt: 1_800_000_000_000,
  status: 'downloading' as const,
  fileName: 'film.mp4',
  mimetype: 'video/mp4',
  bytesDone: 4096,
  bytesTotal: 4096,
  rate: 0,
  roomId: '!room:example.org',
  eventId: '$event123',
  ciphertextSha256: outcome.ciphertextSha256,
  waitingForOutcome: true as const,
};
const badId = { request: { id: '../etc' }, field: 'id' };
const done = null;

export const channelSamples: { readonly [N in AppChannel]: ChannelSample<N> } = {
  appInfo: {
    request: undefined,
    response: {
      version: '0.1.0',
      host: 'browser',
      versions: { node: '20.20.2' },
      platform: 'linux',
      mediaBaseUrl: '/media/transfer/',
      fileChooser: 'host',
      droppedFiles: 'spool',
      secretStorage: 'AES-256-GCM with a key in a file (mode 0600)',
    },
    malformed: { request: { please: true }, field: '' },
  },
  loadSession: { request: undefined, response: session, malformed: { request: 42, field: '' } },
  saveSession: {
    request: session,
    response: done,
    malformed: { request: { ...session, homeserverUrl: 'ftp://example.org' }, field: 'homeserverUrl' },
  },
  clearSession: { request: undefined, response: done, malformed: { request: 'now', field: '' } },
  sendFile: {
    request: { source: { kind: 'path', path: '/home/alice/film.mp4' }, roomId: '!room:example.org' },
    response: { transferId, content },
    malformed: { request: { source: { kind: 'path', path: 'film.mp4' } }, field: 'source.path' },
  },
  receiveFile: {
    request: { content, roomId: '!room:example.org', eventId: '$event123', awaitOutcome: true, outcome },
    response: { transferId },
    malformed: { request: { content, roomId: 'room', eventId: '$event123' }, field: 'roomId' },
  },
  settleReceive: {
    request: { id: transferId, outcome },
    response: done,
    malformed: {
      request: { id: transferId, outcome: { ...outcome, ciphertextSha256: 'abc' } },
      field: 'outcome.ciphertextSha256',
    },
  },
  noteSendEvents: {
    request: { id: transferId, eventId: '$event123', outcomeAnnounced: true },
    response: done,
    malformed: { request: { id: transferId, outcomeAnnounced: false }, field: 'outcomeAnnounced' },
  },
  pauseTransfer: { request: { id: transferId }, response: done, malformed: badId },
  resumeTransfer: { request: { id: transferId }, response: done, malformed: badId },
  cancelTransfer: { request: { id: transferId }, response: done, malformed: badId },
  retryTransfer: { request: { id: transferId }, response: done, malformed: badId },
  forgetTransfer: { request: { id: transferId }, response: done, malformed: badId },
  listTransfers: { request: undefined, response: [update, waitingReceive], malformed: { request: [1], field: '' } },
  transferContent: { request: { id: transferId }, response: content, malformed: badId },
  showTransferInFolder: { request: { id: transferId }, response: done, malformed: badId },
  openTransfer: { request: { id: transferId }, response: done, malformed: { request: {}, field: 'id' } },
  getSettings: { request: undefined, response: settings, malformed: { request: { all: true }, field: '' } },
  updateSettings: {
    request: { maxConcurrentTransfers: 2, roomFormats: { '!room:example.org': null } },
    response: settings,
    malformed: { request: { maxConcurrentTransfers: 100 }, field: 'maxConcurrentTransfers' },
  },
  chooseFiles: {
    request: { title: 'Send files' },
    response: { paths: ['/home/alice/film.mp4'] },
    malformed: { request: { title: 7 }, field: 'title' },
  },
  chooseFolder: {
    request: undefined,
    response: { path: null },
    malformed: { request: { title: ['x'] }, field: 'title' },
  },
  takeOpenedFiles: {
    request: undefined,
    response: { paths: ['/home/alice/scene.glb'] },
    malformed: { request: { paths: [] }, field: '' },
  },
  listFolder: {
    request: { path: '/home/alice' },
    response: {
      path: '/home/alice',
      parent: null,
      entries: [{ name: 'film.mp4', path: '/home/alice/film.mp4', kind: 'file', size: 4096, modifiedAt: 1 }],
      places: [{ label: 'Home', path: '/home/alice' }],
    },
    malformed: { request: { path: 'relative/folder' }, field: 'path' },
  },
};

export const eventSamples: { readonly [E in EventName<AppContract>]: PayloadOf<AppContract, E> } = {
  // A receive with every byte in, waiting for its sender's outcome event.
  transferUpdated: update,
  transferForgotten: { id: transferId },
  settingsChanged: settings,
  filesOpened: { paths: ['/home/alice/film.mp4'] },
};

/** A payload each event must refuse. */
export const malformedEvents: { readonly [E in EventName<AppContract>]: unknown } = {
  transferUpdated: { ...update, status: 'exploded' },
  transferForgotten: { id: '' },
  settingsChanged: { ...settings, maxConcurrentTransfers: 0 },
  filesOpened: { paths: [] },
};
