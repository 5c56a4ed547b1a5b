import {
  type BufferDef,
  CHUNK_BIN,
  CHUNK_HEADER_BYTES,
  CHUNK_JSON,
  GLB_HEADER_BYTES,
  GLB_MAGIC,
  type GltfContainer,
  type GltfJson,
} from './gltf-container';
import { SceneFileError } from './scene-file-error';

/*
 * A scene made one self-contained GLB. The page's CSP lets fetch() reach only the app's own origin,
 * so a `.gltf` whose buffers or images are data: URIs could not be loaded as three.js loads them
 * (a fetch of each URI): their bytes are moved into one GLB binary chunk instead, which the loader
 * reads in place.
 */

/** The bytes of a data: URI (base64 or percent-encoded) and its media type. */
export function decodeDataUri(uri: string): { bytes: Uint8Array; mediaType: string } {
  const comma = uri.indexOf(',');
  if (!uri.startsWith('data:') || comma === -1) {
    throw new SceneFileError('DAMAGED', 'one of its embedded data URIs is malformed.');
  }
  const header = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const parameters = header.split(';');
  const mediaType = parameters[0] || 'application/octet-stream';
  try {
    if (parameters.includes('base64')) {
      const binary = atob(payload.replace(/\s+/g, ''));
      const bytes = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
      return { bytes, mediaType };
    }
    return { bytes: new TextEncoder().encode(decodeURIComponent(payload)), mediaType };
  } catch {
    throw new SceneFileError('DAMAGED', 'one of its embedded data URIs is not valid base64.');
  }
}

const align4 = (value: number) => (value + 3) & ~3;

function isMeshoptFallback(buffer: BufferDef): boolean {
  const extensions = buffer.extensions ?? {};
  return ['EXT_meshopt_compression', 'KHR_meshopt_compression'].some(
    (name) => (extensions[name] as { fallback?: unknown } | undefined)?.fallback === true,
  );
}

/** A GLB of the given document and binary chunk. */
export function writeGlb(json: GltfJson, binary: Uint8Array | undefined): ArrayBuffer {
  const jsonBytes = new TextEncoder().encode(JSON.stringify(json));
  const jsonLength = align4(jsonBytes.length);
  const binLength = binary ? align4(binary.length) : 0;
  const total = GLB_HEADER_BYTES + CHUNK_HEADER_BYTES + jsonLength + (binary ? CHUNK_HEADER_BYTES + binLength : 0);
  const out = new ArrayBuffer(total);
  const view = new DataView(out);
  const bytes = new Uint8Array(out);
  view.setUint32(0, GLB_MAGIC, true);
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonLength, true);
  view.setUint32(16, CHUNK_JSON, true);
  bytes.set(jsonBytes, 20);
  bytes.fill(0x20, 20 + jsonBytes.length, 20 + jsonLength); // the JSON chunk is padded with spaces
  if (binary) {
    const at = 20 + jsonLength;
    view.setUint32(at, binLength, true);
    view.setUint32(at + 4, CHUNK_BIN, true);
    bytes.set(binary, at + CHUNK_HEADER_BYTES);
  }
  return out;
}

/**
 * The scene as one GLB whose only binary data is its own chunk: a GLB without data: URIs is returned
 * as it came; otherwise every buffer (the GLB's chunk and each data: URI) is laid end to end, 4-byte
 * aligned, in one new chunk, buffer views are pointed into it, and data: images become buffer views.
 * Meshopt fallback buffers (no bytes at all, by design) stay buffers of their own.
 */
export function selfContainedGlb(container: GltfContainer): ArrayBuffer {
  const { json, binary, glb } = container;
  const buffers = json.buffers ?? [];
  const images = json.images ?? [];
  // checkDocument refused every other URI: what has one here has a data: URI.
  const hasDataUri = [...buffers, ...images].some((entry) => typeof entry.uri === 'string');
  if (glb && !hasDataUri) return glb;

  const pieces: Uint8Array[] = [];
  let length = 0;
  const append = (bytes: Uint8Array) => {
    const offset = length;
    pieces.push(bytes);
    length = align4(length + bytes.length);
    return offset;
  };
  // Where each old buffer went: into the combined buffer at an offset, or to a fallback buffer's new index.
  const placed = buffers.map((buffer, index) => {
    if (typeof buffer.uri === 'string') return { combined: true, offset: append(decodeDataUri(buffer.uri).bytes) };
    if (index === 0 && glb && binary) return { combined: true, offset: append(binary) };
    if (isMeshoptFallback(buffer)) return { combined: false, offset: 0 };
    throw new SceneFileError('DAMAGED', `its buffer ${index} has no data.`);
  });
  const fallbacks = buffers.filter((_, index) => !placed[index]!.combined);
  const newIndexOf = (oldIndex: number): { index: number; shift: number } => {
    const where = placed[oldIndex];
    if (!where)
      throw new SceneFileError('DAMAGED', `a buffer view points to buffer ${oldIndex}, which does not exist.`);
    return where.combined
      ? { index: 0, shift: where.offset }
      : { index: 1 + fallbacks.indexOf(buffers[oldIndex]!), shift: 0 };
  };

  const bufferViews = (json.bufferViews ?? []).map((bufferView) => {
    const target = newIndexOf(bufferView.buffer);
    const extensions = bufferView.extensions && { ...bufferView.extensions };
    for (const name of ['EXT_meshopt_compression', 'KHR_meshopt_compression']) {
      const compressed = extensions?.[name];
      if (compressed && typeof compressed.buffer === 'number') {
        const source = newIndexOf(compressed.buffer);
        extensions[name] = {
          ...compressed,
          buffer: source.index,
          byteOffset: (compressed.byteOffset ?? 0) + source.shift,
        };
      }
    }
    return {
      ...bufferView,
      buffer: target.index,
      byteOffset: (bufferView.byteOffset ?? 0) + target.shift,
      ...(extensions && { extensions }),
    };
  });
  const newImages = images.map((image) => {
    if (typeof image.uri !== 'string') return image;
    const { bytes, mediaType } = decodeDataUri(image.uri);
    const { uri: _uri, ...rest } = image;
    bufferViews.push({ buffer: 0, byteOffset: append(bytes), byteLength: bytes.length });
    return { ...rest, bufferView: bufferViews.length - 1, mimeType: image.mimeType ?? mediaType };
  });

  const combined = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    combined.set(piece, at);
    at = align4(at + piece.length);
  }
  const document: GltfJson = {
    ...json,
    ...(length > 0 ? { buffers: [{ byteLength: length }, ...fallbacks] } : {}),
    ...(json.bufferViews || bufferViews.length > 0 ? { bufferViews } : {}),
    ...(json.images ? { images: newImages } : {}),
  };
  return writeGlb(document, length > 0 ? combined : undefined);
}
