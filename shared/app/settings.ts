import { z } from 'zod';
import { absolutePathSchema, roomIdSchema } from './identifiers.js';

/**
 * Which encrypted-attachment format a send uses:
 * - `v3`: MSC4016 for every file: streams while it uploads, but only MSC4016 clients can open it.
 * - `auto`: the spec's `v2` up to `compatibleFormatMaxBytes`, `v3` above. Files a stock homeserver
 *   accepts from any client (Synapse's default upload limit is 50 MiB) open in every Matrix client;
 *   the large ones, which no other client streams and many cannot even load whole, stream.
 * - `v2`: every file in the spec's format. The event waits for a first pass over the file (v2 needs
 *   the ciphertext's SHA-256 in the event), and nothing streams.
 */
export const formatPolicySchema = z.enum(['v3', 'auto', 'v2']);
export type FormatPolicy = z.infer<typeof formatPolicySchema>;

export const DEFAULT_FORMAT_POLICY: FormatPolicy = 'auto';
/** Synapse's default `max_upload_size`: what a stock homeserver accepts from any client. */
export const DEFAULT_COMPATIBLE_FORMAT_MAX_BYTES = 50 * 1024 * 1024;

export const themeSchema = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof themeSchema>;

const byteCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const settingsSchema = z.strictObject({
  /** Where received files are saved. */
  downloadFolder: absolutePathSchema,
  /** Incoming files up to this size start downloading on their own; 0 means never. */
  autoDownloadMaxBytes: byteCount,
  /** Transfers that run at once; the rest wait as queued. */
  maxConcurrentTransfers: z.number().int().min(1).max(8),
  defaultFormat: formatPolicySchema,
  /** Under `auto`, files up to this size go out as v2. */
  compatibleFormatMaxBytes: byteCount,
  /** Rooms whose format differs from the default. */
  roomFormats: z.record(roomIdSchema, formatPolicySchema),
  /** When a sender cancels, keep what arrived (named as incomplete) instead of deleting it. */
  keepCancelledPartials: z.boolean(),
  /**
   * Files that need not stream go straight into the server's object store when it offers an MSC3870
   * `upload_url` (docs/PROTOCOL.md §5.7), leaving the media server out of the upload. v2 files always do;
   * with this on, v3 files too, and nobody can download them before the upload ends.
   */
  directUploads: z.boolean(),
  /** The window's colours: the system's choice, or always light or dark. */
  theme: themeSchema,
});
export type Settings = z.infer<typeof settingsSchema>;

/** A change to some settings; `roomFormats` entries set to null go back to the default. */
export const settingsPatchSchema = settingsSchema
  .omit({ roomFormats: true })
  .partial()
  .extend({ roomFormats: z.record(roomIdSchema, formatPolicySchema.nullable()).optional() });
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export function defaultSettings(downloadFolder: string): Settings {
  return {
    downloadFolder,
    autoDownloadMaxBytes: 100 * 1024 * 1024,
    maxConcurrentTransfers: 3,
    defaultFormat: DEFAULT_FORMAT_POLICY,
    compatibleFormatMaxBytes: DEFAULT_COMPATIBLE_FORMAT_MAX_BYTES,
    roomFormats: {},
    keepCancelledPartials: false,
    directUploads: false,
    theme: 'system',
  };
}

export function applySettingsPatch(settings: Settings, patch: SettingsPatch): Settings {
  const { roomFormats: roomPatch, ...rest } = patch;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const roomFormats = { ...settings.roomFormats };
  for (const [room, policy] of Object.entries(roomPatch ?? {})) {
    if (policy === null) delete roomFormats[room];
    else roomFormats[room] = policy;
  }
  return { ...settings, ...defined, roomFormats };
}

/** The format a file of `size` bytes goes out in, in `roomId` (or with the default policy). */
export function formatFor(settings: Settings, size: number, roomId?: string): 'v3' | 'v2' {
  const policy = (roomId !== undefined && settings.roomFormats[roomId]) || settings.defaultFormat;
  if (policy === 'auto') return size <= settings.compatibleFormatMaxBytes ? 'v2' : 'v3';
  return policy;
}
