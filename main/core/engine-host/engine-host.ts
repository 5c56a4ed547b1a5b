import { homedir } from 'node:os';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { connectContract, type MessageLink, serveContract } from '../../../shared/ipc/message-link.js';
import { AppBackend, type AppBackendOptions, type BackendHandlers } from '../app/app-backend.js';
import { FolderAccess, placesFor } from '../app/folder-access.js';
import { GrantedPaths } from '../app/path-policy.js';
import type { SecretStore } from '../state/secret-store.js';
import { createMediaHandler } from '../transfer/media-handler.js';
import {
  type EngineHostHandlers,
  engineHostContract,
  FORWARDED_CHANNELS,
  hostPlatformContract,
  type MediaEndpoint,
} from './engine-host-contract.js';
import { serveMediaEndpoint } from './media-endpoint.js';

export interface EngineHostOptions {
  /** The app's data directory: transfer records, settings, the sealed session. */
  readonly dataDir: string;
  readonly log: (line: string) => void;
  /** For tests: a quicker retry policy, say. */
  readonly engine?: AppBackendOptions['engine'];
}

interface Started {
  readonly backend: AppBackend;
  readonly grants: GrantedPaths;
  readonly media: { endpoint: MediaEndpoint; close(): Promise<void> };
}

/**
 * The engine's process in the desktop app (Electron's utilityProcess, started with the V8 options of
 * main/core/node-flags.ts): the app backend answering main's forwarded calls over `link`, pushing events
 * back, and serving decrypted media on a loopback port behind a secret. Calls that arrive while it is
 * still opening wait for it. `closed` resolves once it has shut down, whether main asked (the
 * `shutdown` channel) or its own process did (`shutdown()`, when main went away).
 */
export function runEngineHost(
  link: MessageLink,
  options: EngineHostOptions,
): { closed: Promise<void>; shutdown(): Promise<unknown> } {
  const platform = connectContract(link, hostPlatformContract, {
    onListenerError: (error) => options.log(`a platform event failed: ${(error as Error).message}`),
  });

  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  // Pushes events to main; set once the contract is served, before the backend opens, so the
  // transfers it resumes at opening are heard.
  let push: AppBackendOptions['sink'] = () => undefined;

  const start = async (): Promise<Started> => {
    const info = await platform.platformInfo();
    const secretStore: SecretStore = {
      description: info.secretStorage,
      seal: async (secret) => (await platform.sealSecret({ secret })).sealed,
      open: async (sealed) => (await platform.openSecret({ sealed })).secret,
    };
    const grants = new GrantedPaths(options.dataDir, info.downloadsFolder);
    const backend = await AppBackend.open({
      dataDir: options.dataDir,
      secretStore,
      platform: {
        showItemInFolder: async (path) => void (await platform.showItemInFolder({ path })),
        openPath: async (path) => void (await platform.openPath({ path })),
      },
      info: {
        version: info.appVersion,
        host: 'electron',
        versions: { node: process.versions.node, electron: info.electron, chrome: info.chrome },
        platform: process.platform,
        mediaBaseUrl: 'slipstream-media://transfer/',
        fileChooser: 'native',
        droppedFiles: 'path',
        secretStorage: info.secretStorage,
      },
      defaultDownloadFolder: info.downloadsFolder,
      folders: await FolderAccess.create(placesFor(homedir(), []), [options.dataDir]),
      paths: grants,
      sink: (event, payload) => push?.(event, payload),
      log: options.log,
      ...(options.engine && { engine: options.engine }),
    });
    const media = await serveMediaEndpoint(createMediaHandler(backend.engine));
    return { backend, grants, media };
  };
  const starting = start();
  starting.catch((error: unknown) => options.log(`the transfer engine could not start: ${(error as Error).message}`));

  const ready = async (): Promise<Started> => {
    try {
      return await starting;
    } catch (error) {
      throw new IpcError(
        'ENGINE_UNAVAILABLE',
        `Slipstream's transfer engine could not start: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  };

  let shuttingDown: Promise<null> | undefined;
  const shutdown = (): Promise<null> =>
    (shuttingDown ??= (async () => {
      try {
        const { backend, media } = await starting;
        await backend.close();
        await media.close();
      } catch {
        // It never started: there is nothing to stop.
      }
      // After this answer has gone out: whoever waits on `closed` may stop the link or exit.
      setImmediate(markClosed);
      return null;
    })());

  // Every forwarded channel waits for the backend, then answers with its handler.
  const forwarded = Object.fromEntries(
    FORWARDED_CHANNELS.map((name) => [
      name,
      async (request: never) => ((await ready()).backend.handlers[name] as (request: never) => unknown)(request),
    ]),
  ) as unknown as BackendHandlers;
  const handlers: EngineHostHandlers = {
    ...forwarded,
    mediaEndpoint: async () => (await ready()).media.endpoint,
    grantPaths: async ({ paths, use }) => {
      await (await ready()).grants.grant(paths, use);
      return null;
    },
    shutdown,
  };

  const served = serveContract(link, engineHostContract, handlers, {
    onUnexpected: (name, error) =>
      options.log(`${name} failed unexpectedly: ${(error as Error).stack ?? String(error)}`),
    onMalformed: () => options.log('ignored a message that is not part of the engine host protocol'),
  });
  push = (event, payload) => served.emit(event, payload);
  void closed.then(() => {
    served.stop();
    platform.disconnect();
  });
  return { closed, shutdown };
}
