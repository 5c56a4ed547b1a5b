import { z } from 'zod';

/** Identifiers and paths as the contract accepts them: bounded, and shaped so a typo is caught at the boundary. */

export const TRANSFER_ID = /^[A-Za-z0-9_-]{8,64}$/;
export const transferIdSchema = z.string().regex(TRANSFER_ID, 'is not a transfer ID');

/** A dropped file's copy in the browser host's spool (main/core/app/spool.ts). */
export const SPOOL_ID = /^[A-Za-z0-9_-]{16,64}$/;
export const spoolIdSchema = z.string().regex(SPOOL_ID, 'is not a spool ID');

/** A path the main side can use as it is: POSIX absolute, or a Windows drive or UNC path. */
export const absolutePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((path) => !path.includes('\0'), 'must not contain a NUL character')
  .refine(
    (path) => path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\'),
    'must be an absolute path',
  );

/**
 * `!opaque:server.name`, or `!opaque` alone: room version 12 (MSC4291) names a room by the hash of its
 * create event, with no server part. Synapse creates such rooms by default.
 */
export const roomIdSchema = z
  .string()
  .max(255)
  .regex(/^![^:\s]+(:\S+)?$/, 'is not a Matrix room ID (!opaque or !opaque:server)');

/** `$opaque` or `$opaque:server` (room versions 1–3 have the server part). */
export const eventIdSchema = z
  .string()
  .max(255)
  .regex(/^\$\S+$/, 'is not a Matrix event ID ($…)');

/** `@localpart:server`. */
export const userIdSchema = z
  .string()
  .max(255)
  .regex(/^@[^:\s]+:\S+$/, 'is not a Matrix user ID (@name:server)');

export const httpUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);
