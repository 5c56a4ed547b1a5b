import type { MatrixClient } from 'matrix-js-sdk';
import { decryptAttachment } from 'matrix-encrypt-attachment/lib/webcrypto.js';
import { LARGEST_THUMBNAIL_BYTES, type ThumbnailSource } from './thumbnail-source';

/** What of matrix-js-sdk's client a thumbnail's download uses. */
export type ThumbnailDownloadClient = Pick<MatrixClient, 'mxcUrlToHttp' | 'getAccessToken'>;

/** The body, refused as soon as it passes `limit` bytes (a Content-Length can be absent or wrong). */
async function bodyAtMost(response: Response, limit: number): Promise<Blob> {
  if (Number(response.headers.get('Content-Length') ?? 0) > limit) throw new Error('the thumbnail is too large');
  if (!response.body) return response.blob();
  const reader = response.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new Blob(chunks);
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new Error('the thumbnail is too large');
    }
    chunks.push(value);
  }
}

/**
 * Downloads a thumbnail through authenticated media (`/_matrix/client/v1/media/download`, the only
 * download path homeservers must still serve) and, when encrypted, decrypts it with
 * matrix-encrypt-attachment, which refuses ciphertext whose SHA-256 is not the event's.
 */
export async function downloadThumbnail(
  client: ThumbnailDownloadClient,
  source: ThumbnailSource,
  fetchImpl: typeof fetch = fetch,
): Promise<Blob> {
  const { location } = source;
  const mxc = location.kind === 'encrypted' ? location.file.url : location.url;
  const url = client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
  if (!url) throw new Error(`${mxc} has no download address`);
  const token = client.getAccessToken();
  const response = await fetchImpl(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  if (!response.ok) throw new Error(`the homeserver answered ${response.status} for ${mxc}`);
  const body = await bodyAtMost(response, LARGEST_THUMBNAIL_BYTES);
  const type = source.mimetype ? { type: source.mimetype } : {};
  if (location.kind === 'plain') return new Blob([body], type);
  return new Blob([await decryptAttachment(await body.arrayBuffer(), location.file)], type);
}

/**
 * Decrypted thumbnails kept for the page's life, so a card scrolled away and back shows at once:
 * the most recently used `limit` of them (a few MB at most). A failed load is forgotten, so a later
 * card may try again.
 */
export class ThumbnailCache {
  private readonly loads = new Map<string, Promise<Blob>>();
  constructor(private readonly limit: number) {}

  get(key: string, load: () => Promise<Blob>): Promise<Blob> {
    const known = this.loads.get(key);
    if (known) {
      this.loads.delete(key);
      this.loads.set(key, known);
      return known;
    }
    const loading = load();
    this.loads.set(key, loading);
    loading.catch(() => {
      if (this.loads.get(key) === loading) this.loads.delete(key);
    });
    for (const oldest of this.loads.keys()) {
      if (this.loads.size <= this.limit) break;
      this.loads.delete(oldest);
    }
    return loading;
  }
}
