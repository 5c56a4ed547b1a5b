import { invalidParam } from '../http/matrix-error.js';

/** The client-server spec's thumbnail methods: fit inside the box, or fill it and crop the overflow. */
export type ThumbnailMethod = 'crop' | 'scale';

export interface ThumbnailSize {
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
}

/**
 * The sizes this server makes: the ones the client-server spec recommends (and Synapse makes by
 * default). A request is answered with the nearest of them, as the spec allows ("the server may return
 * a larger thumbnail"), so arbitrary sizes cannot make the server render and keep arbitrarily many.
 */
export const THUMBNAIL_SIZES: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

const DIMENSION = /^\d{1,5}$/;

/** `width`, `height` (required, positive) and `method` (crop or scale; scale by default). */
export function parseThumbnailRequest(url: URL): ThumbnailSize {
  const dimension = (name: 'width' | 'height'): number => {
    const text = url.searchParams.get(name);
    if (text === null) throw invalidParam(`A thumbnail request needs a ${name}`);
    if (!DIMENSION.test(text) || Number(text) === 0)
      throw invalidParam(`${name} must be a positive whole number, not "${text}"`);
    return Number(text);
  };
  const width = dimension('width');
  const height = dimension('height');
  const method = url.searchParams.get('method') ?? 'scale';
  if (method !== 'crop' && method !== 'scale') throw invalidParam(`method must be crop or scale, not "${method}"`);
  return { width, height, method };
}

/**
 * The smallest size of the requested method at least as large as the request in both dimensions, else
 * the largest of that method (as Synapse chooses among its configured sizes).
 */
export function chooseThumbnailSize(requested: ThumbnailSize): ThumbnailSize {
  const sameMethod = THUMBNAIL_SIZES.filter((size) => size.method === requested.method);
  const bigEnough = sameMethod.filter((size) => size.width >= requested.width && size.height >= requested.height);
  return bigEnough[0] ?? sameMethod[sameMethod.length - 1]!;
}
