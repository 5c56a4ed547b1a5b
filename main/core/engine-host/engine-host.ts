import { homedir } from 'node:os';
import { type ContractHandlers, invokeNames } from '../../../shared/ipc/contract-kit.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { connectContract, type MessageLink, serveContract } from '../../../shared/ipc/message-link.js';
import { AppBackend, type AppBackendOptions } from '../app/app-backend.js';
import { FolderAccess, placesFor } from '../app/folder-access.js';
import type { SecretStore } from '../state/secret-store.js';
import { createMediaHandler } from '../transfer/media-handler.js';
import { type EngineHostContract, engineHostContract, hostPlatformContract } from './engine-host-contract.js';
import { serveMediaEndpoint } from './media-endpoint.js';

export interface EngineHostOptions {
  /** The app's data directory: transfer records, settings, the sealed session. */
  readonly dataDir: string;
  readonly log: (line: string) => void;
  /** For tests: a quicker retry policy, say. */
  readonly engine?: AppBackendOptions['engine'];
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

  const starting = (async () => {
    const info = await platform.platformInfo();
    const secretStore: SecretStore = {
      description: info.secretStorage,
      seal: async (secret) => (await platform.sealSecret({ secret })).sealed,
      open: async (sealed) => (await platform.openSecret({ sealed })).secret,
    };
    const home = homedir();
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
      folders: await FolderAccess.create(placesFor(home, []), [options.dataDir]),
      restrictSendsToFolders: false,
      log: options.log,
      ...(options.engine && { engine: options.engine }),
    });
    const media = await serveMediaEndpoint(createMediaHandler(backend.engine));
    return { backend, media };
  })();
  starting.catch((error: unknown) => options.log(`the transfer engine could not start: ${(error as Error).message}`));

  const ready = async () => {
    try {
      return await starting;
    } catch (error) {
      throw new IpcError(
        'ENGINE_UNAVAILABLE',
        `Slipstream's transfer engine could not start: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  };

  // Every forwarded channel waits for the backend, then answers with its handler.
  const handlers: Record<string, (request: never) => Promise<unknown>> = {};
  for (const name of invokeNames(engineHostContract)) {
    if (name === 'mediaEndpoint' || name === 'shutdown') continue;
    handlers[name] = async (request) => {
      const { backend } = await ready();
      return (backend.handlers[name] as (request: never) => unknown)(request);
    };
  }
  let shuttingDown: Promise<null> | undefined;
  handlers['mediaEndpoint'] = async () => (await ready()).media.endpoint;
  handlers['shutdown'] = () =>
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

  const served = serveContract(link, engineHostContract, handlers as unknown as ContractHandlers<EngineHostContract>, {
    onUnexpected: (name, error) =>
      options.log(`${name} failed unexpectedly: ${(error as Error).stack ?? String(error)}`),
    onMalformed: () => options.log('ignored a message that is not part of the engine host protocol'),
  });
  void starting.then(
    ({ backend }) => backend.addEventSink((event, payload) => served.emit(event, payload)),
    () => undefined,
  );
  void closed.then(() => {
    served.stop();
    platform.disconnect();
  });
  return { closed, shutdown: () => handlers['shutdown']!(undefined as never) };
}
