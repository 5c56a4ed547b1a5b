import { z } from 'zod';
import { absolutePathSchema } from '../../../shared/app/identifiers.js';
import type { Contract, ContractHandlers } from '../../../shared/ipc/contract-kit.js';
import { appContract } from '../../../shared/ipc-contract.js';

/*
 * The two contracts on the MessagePort between Electron's main process and the utility process that
 * hosts the transfer engine (engine-host.ts). Main forwards the renderer's calls to the engine host
 * unchanged, so the engine host serves the app contract itself, less the two channels only main can
 * answer (the system's dialogs), plus what main alone asks of it. The engine host in turn asks main
 * for what only Electron's main process can do: the OS keychain (safeStorage) and the shell.
 */

/**
 * Channels of the app contract that main answers itself: Electron's dialogs exist only there, and files
 * handed to the app from outside (a second launch, the dock) arrive there.
 */
export const MAIN_ONLY_CHANNELS = ['chooseFiles', 'chooseFolder', 'takeOpenedFiles'] as const;
type MainOnlyChannel = (typeof MAIN_ONLY_CHANNELS)[number];

type ForwardedInvoke = Omit<typeof appContract.invoke, MainOnlyChannel>;
const forwardedChannels = Object.fromEntries(
  Object.entries(appContract.invoke).filter(([name]) => !(MAIN_ONLY_CHANNELS as readonly string[]).includes(name)),
) as ForwardedInvoke;

export const mediaEndpointSchema = z.strictObject({
  /** `http://127.0.0.1:<port>`: the engine's media handler, reachable only from this machine. */
  url: z.url({ protocol: /^http$/, hostname: /^127\.0\.0\.1$/ }),
  /** Sent as `Authorization: Bearer <secret>`; made at each start, so nothing else on the machine can read media. */
  secret: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/),
});
export type MediaEndpoint = z.infer<typeof mediaEndpointSchema>;

/** What the engine host answers: the forwarded app channels, and main's own requests. */
export const engineHostContract = {
  invoke: {
    ...forwardedChannels,
    mediaEndpoint: {
      channel: 'slipstream:engine-media-endpoint',
      request: z.undefined(),
      response: mediaEndpointSchema,
    },
    /**
     * Paths the person chose in main (the system's dialogs, a drop, files opened with the app): the only
     * ones the renderer may then have sent, or saved into (main/core/app/path-policy.ts).
     */
    grantPaths: {
      channel: 'slipstream:engine-grant-paths',
      request: z.strictObject({
        paths: z.array(absolutePathSchema).max(10_000),
        /** `send`: files (or folders of them) chosen to send; `save`: a folder chosen to save into. */
        use: z.enum(['send', 'save']),
      }),
      response: z.null(),
    },
    /** Stops every transfer where it is (each resumes at the next start) and flushes state; answered when done. */
    shutdown: { channel: 'slipstream:engine-shutdown', request: z.undefined(), response: z.null() },
  },
  events: appContract.events,
} as const satisfies Contract;
export type EngineHostContract = typeof engineHostContract;
export type EngineHostHandlers = ContractHandlers<EngineHostContract>;

/** The app channels the engine host answers; the rest of the app contract is main's. */
export type ForwardedChannel = Exclude<keyof typeof appContract.invoke, MainOnlyChannel>;
export const FORWARDED_CHANNELS = Object.keys(forwardedChannels) as ForwardedChannel[];

/** What the engine host asks of main: the things only Electron's main process can do. */
export const hostPlatformContract = {
  invoke: {
    /** Versions, paths and the secret store's description, asked once at start. */
    platformInfo: {
      channel: 'slipstream:platform-info',
      request: z.undefined(),
      response: z.strictObject({
        appVersion: z.string().min(1).max(64),
        electron: z.string().min(1).max(64),
        chrome: z.string().min(1).max(64),
        /** The user's Downloads folder, the default for received files. */
        downloadsFolder: absolutePathSchema,
        secretStorage: z.string().min(1).max(500),
      }),
    },
    sealSecret: {
      channel: 'slipstream:platform-seal',
      request: z.strictObject({ secret: z.string().max(1_000_000) }),
      response: z.strictObject({ sealed: z.string() }),
    },
    openSecret: {
      channel: 'slipstream:platform-open',
      request: z.strictObject({ sealed: z.string().max(2_000_000) }),
      response: z.strictObject({ secret: z.string() }),
    },
    /** `shell.showItemInFolder`: the engine host names only files it saved or sent. */
    showItemInFolder: {
      channel: 'slipstream:platform-show',
      request: z.strictObject({ path: absolutePathSchema }),
      response: z.null(),
    },
    /** `shell.openPath`: only completed received files. */
    openPath: {
      channel: 'slipstream:platform-open-path',
      request: z.strictObject({ path: absolutePathSchema }),
      response: z.null(),
    },
  },
  events: {},
} as const satisfies Contract;
export type HostPlatformHandlers = ContractHandlers<typeof hostPlatformContract>;
