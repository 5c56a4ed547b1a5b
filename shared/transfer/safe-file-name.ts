/**
 * Turns a file name from a Matrix event (anyone in the room chose it) into one safe to create on any
 * desktop platform. Event names are never trusted as paths: a name such as "../../.bashrc",
 * "C:\\Windows\\x.dll", "invoice\u202Efdp.exe" (shown as "invoiceexe.pdf") or "CON" must neither
 * escape the destination folder, mislead the user about the file's type, nor hit a device name.
 */

/** C0 and C1 controls, and DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/gu;
/**
 * Bidirectional overrides, embeddings, isolates and marks, and invisible characters used to disguise
 * an extension: they make a name display differently from what it is.
 */
const DECEPTIVE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;
/** Characters Windows forbids in names (and the path separators of every platform). */
const FORBIDDEN = /[<>:"/\\|?*]/gu;
/** Device names Windows reserves with any extension: "CON", "nul.txt", "COM1.tar.gz", "COM¹". */
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/iu;
/** Most file systems allow 255 bytes per name. */
const MAX_NAME_BYTES = 255;

const FALLBACK = 'download';

/** UTF-8 length, counted by code point (shared/ has no TextEncoder: it runs in every process). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const character of text) {
    const point = character.codePointAt(0)!;
    bytes += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Cuts `text` to at most `bytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, bytes: number): string {
  let result = '';
  for (const character of text) {
    if (utf8Length(result + character) > bytes) break;
    result += character;
  }
  return result;
}

export function safeFileName(untrusted: string | undefined | null, fallback = FALLBACK): string {
  let name = (untrusted ?? '').normalize('NFC');
  // Only the last path component counts, whichever separator the sender's platform uses.
  name = name.split(/[/\\]/u).pop() ?? '';
  name = name.replace(CONTROLS, '').replace(DECEPTIVE, '').replace(FORBIDDEN, '_');
  // Windows drops trailing dots and spaces; leading dots hide a file and ".." climbs out.
  name = name.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');
  if (name.length === 0) name = fallback;
  if (RESERVED.test(name)) name = `_${name}`;
  if (utf8Length(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name =
      truncateUtf8(name.slice(0, name.length - extension.length), MAX_NAME_BYTES - utf8Length(extension)) + extension;
  }
  return name;
}

/** "name.ext" → "name (n).ext": the name to try when "name.ext" already exists. */
export function numberedFileName(name: string, n: number): string {
  return markedFileName(name, String(n));
}

/** "film.mp4" → "film (<mark>).mp4", still within 255 UTF-8 bytes: "film (incomplete).mp4", say. */
export function markedFileName(name: string, mark: string): string {
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const suffix = ` (${mark})`;
  return truncateUtf8(stem, MAX_NAME_BYTES - utf8Length(suffix + extension)) + suffix + extension;
}
