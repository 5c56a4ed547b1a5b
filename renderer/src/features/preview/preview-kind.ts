/** What the app can show of a file inside its card while it arrives. */
export type PreviewKind = 'video' | 'audio' | 'image' | 'scene' | 'none';

const SCENE_EXTENSIONS = /\.(glb|gltf)$/i;
const SCENE_TYPES = new Set(['model/gltf-binary', 'model/gltf+json']);

/**
 * The preview a file gets, from its MIME type and, for glTF scenes (which senders often label
 * `application/octet-stream`), its name. Images are shown by the browser's own decoder, so only the
 * formats Chromium draws count as images; anything else (TIFF, HEIC, RAW) is a plain file.
 */
export function previewKindOf(mimetype: string | undefined, fileName: string): PreviewKind {
  const type = mimetype?.toLowerCase().split(';')[0]?.trim() ?? '';
  if (SCENE_TYPES.has(type) || SCENE_EXTENSIONS.test(fileName)) return 'scene';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  if (/^image\/(jpeg|png|gif|webp|avif|bmp|svg\+xml|x-icon|vnd\.microsoft\.icon)$/.test(type)) return 'image';
  return 'none';
}

/** Where a transfer's decrypted bytes are read (`AppInfo.mediaBaseUrl`: the media scheme, or the browser host's path). */
export function mediaUrlOf(mediaBaseUrl: string, transferId: string, fileName: string): string {
  return `${mediaBaseUrl}${encodeURIComponent(transferId)}/${encodeURIComponent(fileName)}`;
}
