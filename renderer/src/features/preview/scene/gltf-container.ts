import { SceneFileError } from './scene-file-error';

/*
 * A glTF 2.0 file read far enough to refuse it in words before three.js sees it (three's own errors
 * are for developers: "Unexpected token", "Unsupported asset"): not glTF, damaged, glTF 1.0, a
 * required extension three.js lacks, references to files outside itself.
 */

export const GLB_MAGIC = 0x46546c67; // "glTF"
export const CHUNK_JSON = 0x4e4f534a; // "JSON"
export const CHUNK_BIN = 0x004e4942; // "BIN\0"
export const GLB_HEADER_BYTES = 12;
export const CHUNK_HEADER_BYTES = 8;

/** The extensions three.js's GLTFLoader implements (with the DRACO, KTX2 and meshopt decoders the viewer sets). */
export const SUPPORTED_EXTENSIONS: ReadonlySet<string> = new Set([
  'KHR_draco_mesh_compression',
  'KHR_lights_punctual',
  'KHR_materials_anisotropy',
  'KHR_materials_clearcoat',
  'KHR_materials_diffuse_roughness',
  'KHR_materials_dispersion',
  'KHR_materials_emissive_strength',
  'KHR_materials_ior',
  'KHR_materials_iridescence',
  'KHR_materials_sheen',
  'KHR_materials_specular',
  'KHR_materials_transmission',
  'KHR_materials_unlit',
  'KHR_materials_volume',
  'KHR_mesh_quantization',
  'KHR_meshopt_compression',
  'KHR_texture_basisu',
  'KHR_texture_transform',
  'EXT_materials_bump',
  'EXT_mesh_gpu_instancing',
  'EXT_meshopt_compression',
  'EXT_texture_avif',
  'EXT_texture_webp',
]);

export interface BufferDef {
  uri?: string;
  byteLength?: number;
  extensions?: Record<string, unknown>;
}
interface BufferViewDef {
  buffer: number;
  byteOffset?: number;
  byteLength: number;
  extensions?: Record<string, { buffer?: number; byteOffset?: number } | undefined>;
}
interface ImageDef {
  uri?: string;
  bufferView?: number;
  mimeType?: string;
}

/** The parts of a glTF document this module reads or rewrites; the rest passes through untouched. */
export interface GltfJson {
  asset?: { version?: unknown };
  extensionsRequired?: unknown;
  buffers?: BufferDef[];
  bufferViews?: BufferViewDef[];
  images?: ImageDef[];
  [key: string]: unknown;
}

export interface GltfContainer {
  readonly json: GltfJson;
  /** The GLB binary chunk, if the file is a GLB that has one. */
  readonly binary: Uint8Array | undefined;
  /** The file as it came, when it is a GLB. */
  readonly glb: ArrayBuffer | undefined;
}

const isDataUri = (uri: string) => uri.startsWith('data:');

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

function parseJson(bytes: Uint8Array): GltfJson {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new SceneFileError('DAMAGED', `its scene description is not UTF-8 text, so the file is damaged.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SceneFileError(
      'DAMAGED',
      `its scene description is not valid JSON, so the file is damaged or incomplete (${(error as Error).message}).`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SceneFileError('DAMAGED', `its scene description is not a glTF document.`);
  }
  return json as GltfJson;
}

function readGlb(bytes: ArrayBuffer): GltfContainer {
  const view = new DataView(bytes);
  const version = view.getUint32(4, true);
  if (version !== 2) {
    throw new SceneFileError('UNSUPPORTED_VERSION', `it is a glTF ${version}.0 binary; only glTF 2.0 can be shown.`);
  }
  const declared = view.getUint32(8, true);
  if (declared > bytes.byteLength) {
    throw new SceneFileError(
      'DAMAGED',
      `its header says it is ${declared} bytes long, but it has ${bytes.byteLength} (the file is cut short).`,
    );
  }
  let json: GltfJson | undefined;
  let binary: Uint8Array | undefined;
  for (let offset = GLB_HEADER_BYTES; offset < declared;) {
    if (offset + CHUNK_HEADER_BYTES > declared) {
      throw new SceneFileError('DAMAGED', 'it ends in the middle of a chunk header (the file is damaged).');
    }
    const length = view.getUint32(offset, true);
    const type = view.getUint32(offset + 4, true);
    const start = offset + CHUNK_HEADER_BYTES;
    if (start + length > declared) {
      throw new SceneFileError('DAMAGED', 'one of its chunks runs past the end of the file (the file is damaged).');
    }
    if (offset === GLB_HEADER_BYTES && type !== CHUNK_JSON) {
      throw new SceneFileError('DAMAGED', 'its first chunk is not the JSON chunk a GLB must start with.');
    }
    const content = new Uint8Array(bytes, start, length);
    if (type === CHUNK_JSON && json === undefined) json = parseJson(content);
    else if (type === CHUNK_BIN && binary === undefined) binary = content;
    offset = start + length;
  }
  if (json === undefined) throw new SceneFileError('DAMAGED', 'it has no JSON chunk (the file is damaged).');
  return { json, binary, glb: bytes };
}

/** Refusals that need only the document: version, required extensions, files outside the file. */
function checkDocument(container: GltfContainer): void {
  const { json, binary } = container;
  const version = json.asset?.version;
  if (typeof version !== 'string') {
    throw new SceneFileError('NOT_GLTF', 'it has no glTF asset description, so it is not a glTF file.');
  }
  if (!/^2\./.test(version)) {
    throw new SceneFileError('UNSUPPORTED_VERSION', `it is glTF ${version}; only glTF 2.0 can be shown.`);
  }
  const required = Array.isArray(json.extensionsRequired) ? json.extensionsRequired : [];
  const missing = required.filter(
    (name): name is string => typeof name === 'string' && !SUPPORTED_EXTENSIONS.has(name),
  );
  if (missing.length > 0) {
    throw new SceneFileError(
      'UNSUPPORTED_EXTENSION',
      `it needs the glTF ${plural(missing.length, 'extension', 'extensions')} ${missing.join(', ')}, which this viewer cannot show.`,
    );
  }
  const external = [...(json.buffers ?? []), ...(json.images ?? [])]
    .map((entry) => entry.uri)
    .filter((uri): uri is string => typeof uri === 'string' && !isDataUri(uri));
  if (external.length > 0) {
    throw new SceneFileError(
      'EXTERNAL_FILES',
      `it refers to ${plural(external.length, 'a file', 'files')} outside itself (${external.slice(0, 3).join(', ')}); ` +
        'only .glb files and .gltf files with everything embedded can be shown.',
    );
  }
  const first = json.buffers?.[0];
  if (first && first.uri === undefined && container.glb && (first.byteLength ?? 0) > (binary?.byteLength ?? 0)) {
    throw new SceneFileError('DAMAGED', 'its binary chunk is shorter than its buffer says (the file is damaged).');
  }
}

/**
 * Reads a `.glb` or a `.gltf` file's container and refuses, with a reason a person can read, what
 * three.js could not show or would show wrongly: not glTF, damaged, glTF 1.0, a required extension
 * three.js lacks, or references to files outside itself.
 */
export function readGltfContainer(bytes: ArrayBuffer): GltfContainer {
  const container =
    bytes.byteLength >= GLB_HEADER_BYTES && new DataView(bytes).getUint32(0, true) === GLB_MAGIC
      ? readGlb(bytes)
      : readGltfText(bytes);
  checkDocument(container);
  return container;
}

function readGltfText(bytes: ArrayBuffer): GltfContainer {
  const start = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 64));
  const lead = new TextDecoder()
    .decode(start)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (!lead.startsWith('{')) {
    throw new SceneFileError('NOT_GLTF', 'it is neither a glTF binary (.glb) nor a glTF JSON file (.gltf).');
  }
  return { json: parseJson(new Uint8Array(bytes)), binary: undefined, glb: undefined };
}
