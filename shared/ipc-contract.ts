import { z } from 'zod';

/**
 * The one IPC contract between the renderer and the main process. The preload bridge, the main-process
 * handlers (and later the browser host's WebSocket transport) are all derived from `invokeChannels`, so a
 * channel cannot exist on one side only. Every response is validated by the sender before it leaves and
 * by the receiver when it arrives: the renderer is untrusted, and a main process that drifts from the
 * contract should fail loudly rather than hand the app a shape it does not expect.
 */

const versionString = z.string().min(1).max(64);

export const appVersionsSchema = z.strictObject({
  /** Slipstream's own version, from package.json. */
  app: versionString,
  electron: versionString,
  chrome: versionString,
  node: versionString,
});
export type AppVersions = z.infer<typeof appVersionsSchema>;

/** Request/response channels: `ipcRenderer.invoke(channel)` answered by `ipcMain.handle(channel)`. */
export const invokeChannels = {
  versions: { channel: 'slipstream:versions', response: appVersionsSchema },
} as const satisfies Record<string, { readonly channel: `slipstream:${string}`; readonly response: z.ZodType }>;

export type InvokeName = keyof typeof invokeChannels;
export type InvokeResponse<Name extends InvokeName> = z.infer<(typeof invokeChannels)[Name]['response']>;

/** What the preload exposes to the renderer as `window[API_GLOBAL_NAME]`. */
export type SlipstreamApi = { readonly [Name in InvokeName]: () => Promise<InvokeResponse<Name>> };

/** What the main process must implement: one handler per channel, checked by the type system. */
export type InvokeHandlers = {
  readonly [Name in InvokeName]: () => InvokeResponse<Name> | Promise<InvokeResponse<Name>>;
};

export const API_GLOBAL_NAME = 'slipstream';

/**
 * Checks a response against its channel's schema. Both sides call it; the error names the channel so a
 * contract mismatch is found at the boundary rather than deep in the app.
 */
export function parseInvokeResponse<Name extends InvokeName>(name: Name, value: unknown): InvokeResponse<Name> {
  const { channel, response } = invokeChannels[name];
  const result = response.safeParse(value);
  if (result.success) return result.data as InvokeResponse<Name>;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
  throw new TypeError(`IPC response on ${channel} breaks the contract${where}: ${issue?.message ?? 'invalid'}`);
}
