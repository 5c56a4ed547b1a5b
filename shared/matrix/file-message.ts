import { z } from 'zod';
import { type EncryptedFile, encryptedFileSchema, parseEncryptedFile } from '../msc4016/encrypted-file.js';
import { OUTCOME_FOLLOWS_KEY } from './transfer-outcome.js';

/**
 * The content of the `m.room.message` event that shares an encrypted file: what a sender posts as
 * soon as the media ID exists (MSC2246), and what a receiver starts from.
 */
export type FileMsgtype = 'm.file' | 'm.image' | 'm.video' | 'm.audio';

export interface FileInfo {
  readonly size: number;
  readonly mimetype: string;
}

export interface FileMessageContent {
  readonly msgtype: FileMsgtype;
  /** The caption, or the file name when there is none (Matrix spec, `m.file`). */
  readonly body: string;
  readonly filename: string;
  readonly file: EncryptedFile;
  readonly info: FileInfo;
}

/** The same content as a schema, for answers that cross a process boundary. */
export const fileMessageContentSchema = z.strictObject({
  msgtype: z.enum(['m.file', 'm.image', 'm.video', 'm.audio']),
  body: z.string(),
  filename: z.string(),
  file: encryptedFileSchema,
  info: z.strictObject({ size: z.number().int().nonnegative(), mimetype: z.string().min(1) }),
});

export function msgtypeFor(mimetype: string): FileMsgtype {
  if (mimetype.startsWith('video/')) return 'm.video';
  if (mimetype.startsWith('image/')) return 'm.image';
  if (mimetype.startsWith('audio/')) return 'm.audio';
  return 'm.file';
}

export function fileMessageContent(fileName: string, file: EncryptedFile, info: FileInfo): FileMessageContent {
  return { msgtype: msgtypeFor(info.mimetype), body: fileName, filename: fileName, file, info };
}

const infoSchema = z.looseObject({
  size: z.number().int().nonnegative().optional(),
  mimetype: z.string().optional(),
});

interface ReceivableCommon {
  readonly size: number | undefined;
  readonly mimetype: string | undefined;
  /** The name as the event gives it: untrusted, to be sanitised before any use as a path. */
  readonly untrustedName: string | undefined;
  /** The sender promised an outcome event for it (`io.slipstream.outcome_follows`, docs/PROTOCOL.md §7). */
  readonly outcomeFollows: boolean;
}

/** What a receiver needs from an event: the file block with its URL, and whatever the event says about it. */
export interface ReceivableFile extends ReceivableCommon {
  readonly file: EncryptedFile & { readonly url: string };
}

/** A file shared without end-to-end encryption (an unencrypted room): a top-level `url` and no `file`. */
export interface ReceivablePlainFile extends ReceivableCommon {
  readonly file?: undefined;
  readonly url: string;
}

export type Receivable = ReceivableFile | ReceivablePlainFile;

function describedBy(content: Record<string, unknown>, isBareBlock: boolean): ReceivableCommon {
  const parsedInfo = infoSchema.safeParse(isBareBlock ? {} : (content['info'] ?? {}));
  if (!parsedInfo.success)
    throw new TypeError('the event\'s "info" is not valid: size must be a whole number of bytes');
  const name = [content['filename'], content['body']].find((candidate) => typeof candidate === 'string');
  return {
    size: parsedInfo.data.size,
    mimetype: parsedInfo.data.mimetype,
    untrustedName: isBareBlock ? undefined : (name as string | undefined),
    outcomeFollows: !isBareBlock && content[OUTCOME_FOLLOWS_KEY] === true,
  };
}

/**
 * Accepts a whole event content (`{msgtype, body, filename, file, info}`), a bare `file` block, or the
 * content of an unencrypted file (`{msgtype, body, url, info}`, no `file`), and returns what a receive
 * needs. Errors are one sentence saying what is missing.
 */
export function parseReceivable(value: unknown): Receivable {
  if (typeof value !== 'object' || value === null) throw new TypeError('expected a JSON object');
  const content = value as Record<string, unknown>;
  const isBareBlock = 'v' in content && 'key' in content;
  if (!isBareBlock && content['file'] === undefined && typeof content['url'] === 'string') {
    return { ...describedBy(content, false), url: content['url'] };
  }
  const file = parseEncryptedFile(isBareBlock ? content : content['file']);
  if (typeof file.url !== 'string') throw new TypeError('the file block has no "url": it names no media to download');
  return { ...describedBy(content, isBareBlock), file: file as EncryptedFile & { url: string } };
}

/** As parseReceivable, for callers that take end-to-end encrypted files only: a plain `url` file is refused. */
export function parseReceivableFile(value: unknown): ReceivableFile {
  const receivable = parseReceivable(value);
  if (receivable.file === undefined)
    throw new TypeError('the file is not end-to-end encrypted (it has no "file" block)');
  return receivable;
}
