import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';

/*
 * glTF 2.0 scenes for tests, written by hand as GLB (glTF's binary container, spec §4.4): a textured
 * floor, a few coloured boxes and one dense sphere whose vertex count sets the file's size, so a
 * transfer of it lasts long enough to be watched. Snapshot 2 is the same scene a little changed (a
 * box moved, the sphere recoloured, one box more), as a collaborator's next save would be.
 */

const ARRAY_BUFFER = 34962;
const ELEMENT_ARRAY_BUFFER = 34963;
const FLOAT = 5126;
const UNSIGNED_INT = 5125;

interface Geometry {
  readonly positions: Float32Array;
  readonly normals: Float32Array;
  readonly uvs?: Float32Array;
  readonly indices: Uint32Array;
}

type Rgba = readonly [number, number, number, number];

interface Part {
  readonly name: string;
  readonly geometry: Geometry;
  readonly colour: Rgba;
  readonly translation: readonly [number, number, number];
  readonly rotationY?: number;
  readonly textured?: boolean;
}

/** An axis-aligned box centred on the origin, four vertices per face so each face has its own normal. */
function box(width: number, height: number, depth: number): Geometry {
  const [x, y, z] = [width / 2, height / 2, depth / 2];
  const faces: { normal: [number, number, number]; corners: [number, number, number][] }[] = [
    {
      normal: [1, 0, 0],
      corners: [
        [x, -y, z],
        [x, -y, -z],
        [x, y, -z],
        [x, y, z],
      ],
    },
    {
      normal: [-1, 0, 0],
      corners: [
        [-x, -y, -z],
        [-x, -y, z],
        [-x, y, z],
        [-x, y, -z],
      ],
    },
    {
      normal: [0, 1, 0],
      corners: [
        [-x, y, z],
        [x, y, z],
        [x, y, -z],
        [-x, y, -z],
      ],
    },
    {
      normal: [0, -1, 0],
      corners: [
        [-x, -y, -z],
        [x, -y, -z],
        [x, -y, z],
        [-x, -y, z],
      ],
    },
    {
      normal: [0, 0, 1],
      corners: [
        [-x, -y, z],
        [x, -y, z],
        [x, y, z],
        [-x, y, z],
      ],
    },
    {
      normal: [0, 0, -1],
      corners: [
        [x, -y, -z],
        [-x, -y, -z],
        [-x, y, -z],
        [x, y, -z],
      ],
    },
  ];
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
  const indices: number[] = [];
  faces.forEach((face, index) => {
    for (const corner of face.corners) positions.push(...corner);
    for (let corner = 0; corner < 4; corner += 1) normals.push(...face.normal);
    uvs.push(0, 1, 4, 1, 4, -3, 0, -3);
    const base = index * 4;
    indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
  });
  return {
    positions: Float32Array.from(positions),
    normals: Float32Array.from(normals),
    uvs: Float32Array.from(uvs),
    indices: Uint32Array.from(indices),
  };
}

/** A UV sphere with `segments` × `segments` quads: (segments + 1)² vertices, 6·segments² indices. */
function sphere(radius: number, segments: number): Geometry {
  const count = (segments + 1) * (segments + 1);
  const positions = new Float32Array(count * 3);
  const normals = new Float32Array(count * 3);
  const indices = new Uint32Array(segments * segments * 6);
  let vertex = 0;
  for (let row = 0; row <= segments; row += 1) {
    const phi = (row / segments) * Math.PI;
    for (let column = 0; column <= segments; column += 1) {
      const theta = (column / segments) * Math.PI * 2;
      const normal = [Math.sin(phi) * Math.cos(theta), Math.cos(phi), Math.sin(phi) * Math.sin(theta)];
      normals.set(normal, vertex * 3);
      positions.set(
        normal.map((value) => value * radius),
        vertex * 3,
      );
      vertex += 1;
    }
  }
  let index = 0;
  for (let row = 0; row < segments; row += 1) {
    for (let column = 0; column < segments; column += 1) {
      const a = row * (segments + 1) + column;
      const b = a + segments + 1;
      indices.set([a, a + 1, b, b, a + 1, b + 1], index);
      index += 6;
    }
  }
  return { positions, normals, indices };
}

function bounds(positions: Float32Array): { min: number[]; max: number[] } {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let offset = 0; offset < positions.length; offset += 3) {
    for (let axis = 0; axis < 3; axis += 1) {
      min[axis] = Math.min(min[axis]!, positions[offset + axis]!);
      max[axis] = Math.max(max[axis]!, positions[offset + axis]!);
    }
  }
  return { min, max };
}

/** A grey-and-white checkerboard, so the floor shows that embedded images load. */
async function checkerboardPng(size = 64, squares = 8): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  const square = size / squares;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const light = (Math.floor(x / square) + Math.floor(y / square)) % 2 === 0;
      pixels.fill(light ? 235 : 150, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

const pad4 = (length: number) => (length + 3) & ~3;

/** The GLB container: a 12-byte header, the JSON chunk (space-padded), the BIN chunk (zero-padded). */
function glbOfChunks(jsonBytes: Buffer, binary: Buffer): Buffer {
  const jsonChunk = Buffer.alloc(pad4(jsonBytes.length), 0x20);
  jsonBytes.copy(jsonChunk);
  const binChunk = Buffer.alloc(pad4(binary.length));
  binary.copy(binChunk);
  const header = Buffer.alloc(12);
  const total = 12 + 8 + jsonChunk.length + (binary.length > 0 ? 8 + binChunk.length : 0);
  header.writeUInt32LE(0x46546c67, 0); // "glTF"
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(total, 8);
  const chunkHeader = (length: number, type: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(length, 0);
    bytes.writeUInt32LE(type, 4);
    return bytes;
  };
  const parts = [header, chunkHeader(jsonChunk.length, 0x4e4f534a), jsonChunk];
  if (binary.length > 0) parts.push(chunkHeader(binChunk.length, 0x004e4942), binChunk);
  return Buffer.concat(parts);
}

async function sceneOf(parts: readonly Part[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  const bufferViews: object[] = [];
  const accessors: object[] = [];
  const view = (bytes: Buffer, target?: number) => {
    chunks.push(bytes, Buffer.alloc(pad4(bytes.length) - bytes.length));
    bufferViews.push({ buffer: 0, byteOffset: length, byteLength: bytes.length, ...(target && { target }) });
    length += pad4(bytes.length);
    return bufferViews.length - 1;
  };
  const accessor = (array: Float32Array | Uint32Array, type: string, target: number, extra: object = {}) => {
    const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    const components = type === 'VEC3' ? 3 : type === 'VEC2' ? 2 : 1;
    accessors.push({
      bufferView: view(bytes, target),
      componentType: array instanceof Float32Array ? FLOAT : UNSIGNED_INT,
      count: array.length / components,
      type,
      ...extra,
    });
    return accessors.length - 1;
  };
  const image = view(await checkerboardPng());

  const materials = parts.map((part) => ({
    name: `${part.name} material`,
    pbrMetallicRoughness: {
      baseColorFactor: part.colour,
      metallicFactor: 0,
      roughnessFactor: 0.6,
      ...(part.textured && { baseColorTexture: { index: 0 } }),
    },
  }));
  const meshes = parts.map((part, index) => {
    const { geometry } = part;
    const attributes: Record<string, number> = {
      POSITION: accessor(geometry.positions, 'VEC3', ARRAY_BUFFER, bounds(geometry.positions)),
      NORMAL: accessor(geometry.normals, 'VEC3', ARRAY_BUFFER),
    };
    if (geometry.uvs) attributes['TEXCOORD_0'] = accessor(geometry.uvs, 'VEC2', ARRAY_BUFFER);
    return {
      name: part.name,
      primitives: [
        { attributes, indices: accessor(geometry.indices, 'SCALAR', ELEMENT_ARRAY_BUFFER), material: index },
      ],
    };
  });
  const nodes = parts.map((part, index) => ({
    name: part.name,
    mesh: index,
    translation: part.translation,
    ...(part.rotationY && { rotation: [0, Math.sin(part.rotationY / 2), 0, Math.cos(part.rotationY / 2)] }),
  }));
  const json = {
    asset: { version: '2.0', generator: 'Slipstream tests (tests/support/make-scene.ts)' },
    scene: 0,
    scenes: [{ name: 'Atrium', nodes: nodes.map((_, index) => index) }],
    nodes,
    meshes,
    materials,
    textures: [{ source: 0, sampler: 0 }],
    samplers: [{ magFilter: 9728, minFilter: 9728, wrapS: 10497, wrapT: 10497 }],
    images: [{ bufferView: image, mimeType: 'image/png' }],
    accessors,
    bufferViews,
    buffers: [{ byteLength: length }],
  };
  return glbOfChunks(Buffer.from(JSON.stringify(json), 'utf8'), Buffer.concat(chunks));
}

export interface SceneOptions {
  /** 1: the first snapshot; 2: the next one, a little changed. */
  readonly snapshot: 1 | 2;
  /** The dense sphere's segments per side: 360 makes a file of about 6 MB. */
  readonly sphereSegments?: number;
}

/** A small scene of coloured meshes as a GLB. */
export function makeSceneGlb(options: SceneOptions): Promise<Buffer> {
  const later = options.snapshot === 2;
  const parts: Part[] = [
    {
      name: 'Floor',
      geometry: box(10, 0.2, 10),
      colour: [0.55, 0.75, 0.8, 1],
      translation: [0, -0.1, 0],
      textured: true,
    },
    {
      name: 'Red box',
      geometry: box(1.5, 1.5, 1.5),
      colour: [0.85, 0.1, 0.1, 1],
      translation: later ? [-1, 0.75, 2.5] : [-3, 0.75, 1],
      rotationY: later ? 0.6 : 0,
    },
    { name: 'Green box', geometry: box(1, 2.5, 1), colour: [0.1, 0.7, 0.2, 1], translation: [3, 1.25, -1] },
    { name: 'Blue box', geometry: box(2, 1, 1), colour: [0.1, 0.3, 0.9, 1], translation: [1, 0.5, 3] },
    {
      name: 'Sphere',
      geometry: sphere(1.6, options.sphereSegments ?? 360),
      colour: later ? [0.55, 0.2, 0.75, 1] : [0.95, 0.7, 0.1, 1],
      translation: [0, 1.6, -1.5],
    },
  ];
  if (later)
    parts.push({
      name: 'Yellow box',
      geometry: box(0.8, 0.8, 0.8),
      colour: [0.95, 0.85, 0.1, 1],
      translation: [-3, 0.4, -3],
    });
  return sceneOf(parts);
}

export async function writeSceneFile(path: string, options: SceneOptions): Promise<number> {
  const glb = await makeSceneGlb(options);
  await writeFile(path, glb);
  return glb.length;
}

/** A file named .glb with a proper GLB header whose JSON chunk stops mid-document: saved half-written, say. */
export function makeCorruptGlb(): Buffer {
  return glbOfChunks(Buffer.from('{"asset":{"version":"2.0"},"scenes":[{"nodes":[0', 'utf8'), Buffer.alloc(4096, 7));
}
