import type { Mesh } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { describe, expect, it } from 'vitest';
import { type GltfJson, readGltfContainer } from './gltf-container';
import { selfContainedGlb, writeGlb } from './self-contained-glb';
import { SceneFileError } from './scene-file-error';

/** One triangle: positions as 9 floats, and the glTF that draws them from buffer 0. */
const TRIANGLE = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]);
const triangleBytes = new Uint8Array(TRIANGLE.buffer);

function triangleDocument(buffer: { uri?: string; byteLength: number }): GltfJson {
  return {
    asset: { version: '2.0' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: 'VEC3', min: [0, 0, 0], max: [1, 1, 0] }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: 36 }],
    buffers: [buffer],
  };
}

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const dataUri = (bytes: Uint8Array, type = 'application/octet-stream') => `data:${type};base64,${base64(bytes)}`;
const textBytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

function refusal(bytes: ArrayBuffer): SceneFileError {
  try {
    readGltfContainer(bytes);
  } catch (error) {
    if (error instanceof SceneFileError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('reading a glTF file before three.js does', () => {
  const glb = writeGlb(triangleDocument({ byteLength: 36 }), triangleBytes);

  it('takes a GLB as it is, without copying it', () => {
    const container = readGltfContainer(glb);
    expect(container.binary).toEqual(triangleBytes);
    expect(selfContainedGlb(container)).toBe(glb);
  });

  it('refuses what is not glTF at all', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).buffer;
    expect(refusal(png)).toMatchObject({
      code: 'NOT_GLTF',
      message: 'it is neither a glTF binary (.glb) nor a glTF JSON file (.gltf).',
    });
    expect(refusal(textBytes('{"some": "json"}')).code).toBe('NOT_GLTF');
  });

  it('says a GLB cut short is damaged, with its sizes', () => {
    expect(refusal(glb.slice(0, glb.byteLength - 10))).toMatchObject({
      code: 'DAMAGED',
      message: `its header says it is ${glb.byteLength} bytes long, but it has ${glb.byteLength - 10} (the file is cut short).`,
    });
  });

  it('says a GLB whose scene description stops half-way is damaged', () => {
    const broken = new Uint8Array(glb.slice(0));
    broken.fill(0x20, 20 + 30, 20 + 60);
    broken[20 + 29] = 0x7b; // an opening brace the document never closes
    expect(refusal(broken.buffer).message).toMatch(
      /^its scene description is not valid JSON, so the file is damaged or incomplete \(.+\)\.$/,
    );
  });

  it('refuses glTF 1.0, in the binary and in JSON', () => {
    const legacy = new Uint8Array(glb.slice(0));
    new DataView(legacy.buffer).setUint32(4, 1, true);
    expect(refusal(legacy.buffer)).toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    expect(refusal(textBytes(JSON.stringify({ asset: { version: '1.0' } }))).message).toBe(
      'it is glTF 1.0; only glTF 2.0 can be shown.',
    );
  });

  it('names a required extension three.js lacks, and accepts the compressed formats it decodes', () => {
    const needs = (names: string[]) =>
      textBytes(JSON.stringify({ asset: { version: '2.0' }, extensionsUsed: names, extensionsRequired: names }));
    expect(refusal(needs(['KHR_gaussian_splatting', 'KHR_draco_mesh_compression']))).toMatchObject({
      code: 'UNSUPPORTED_EXTENSION',
      message: 'it needs the glTF extension KHR_gaussian_splatting, which this viewer cannot show.',
    });
    expect(() =>
      readGltfContainer(needs(['KHR_draco_mesh_compression', 'EXT_meshopt_compression', 'KHR_texture_basisu'])),
    ).not.toThrow();
  });

  it('refuses references to files outside the file, which the app could not fetch', () => {
    const document = { ...triangleDocument({ uri: 'atrium.bin', byteLength: 36 }), images: [{ uri: 'floor.png' }] };
    expect(refusal(textBytes(JSON.stringify(document)))).toMatchObject({
      code: 'EXTERNAL_FILES',
      message:
        'it refers to files outside itself (atrium.bin, floor.png); only .glb files and .gltf files with everything embedded can be shown.',
    });
  });
});

describe('making a .gltf with embedded data one self-contained GLB', () => {
  it('moves data: buffers and images into the binary chunk, and three.js reads the same geometry from it', async () => {
    const image = new Uint8Array([1, 2, 3, 4, 5]);
    const padding = new Uint8Array([9, 9, 9]); // a first buffer of an unaligned size
    const document = {
      ...triangleDocument({ uri: dataUri(triangleBytes), byteLength: 36 }),
      buffers: [
        { uri: dataUri(padding), byteLength: 3 },
        { uri: dataUri(triangleBytes), byteLength: 36 },
      ],
      bufferViews: [{ buffer: 1, byteOffset: 0, byteLength: 36 }],
      images: [{ uri: dataUri(image, 'image/png') }],
    };
    const glb = selfContainedGlb(readGltfContainer(textBytes(JSON.stringify(document))));
    const { json, binary } = readGltfContainer(glb);
    expect(json.buffers).toEqual([{ byteLength: 48 }]);
    expect(json.bufferViews).toEqual([
      { buffer: 0, byteOffset: 4, byteLength: 36 },
      { buffer: 0, byteOffset: 40, byteLength: 5 },
    ]);
    expect(json.images).toEqual([{ bufferView: 1, mimeType: 'image/png' }]);
    expect(binary!.slice(4, 40)).toEqual(triangleBytes);
    expect(binary!.slice(40, 45)).toEqual(image);

    const { images: _images, ...withoutImages } = json;
    const gltf = await new GLTFLoader().parseAsync(writeGlb(withoutImages, binary), '');
    const mesh = gltf.scene.children[0] as Mesh;
    expect(Array.from(mesh.geometry.getAttribute('position').array)).toEqual(Array.from(TRIANGLE));
  });

  it('keeps meshopt fallback buffers apart and points compressed views at the moved data', () => {
    const document = {
      asset: { version: '2.0' },
      buffers: [
        { uri: dataUri(new Uint8Array(8)), byteLength: 8 },
        { byteLength: 36, extensions: { EXT_meshopt_compression: { fallback: true } } },
        { uri: dataUri(triangleBytes), byteLength: 36 },
      ],
      bufferViews: [
        {
          buffer: 1,
          byteLength: 36,
          extensions: {
            EXT_meshopt_compression: { buffer: 2, byteOffset: 4, byteLength: 20, count: 3, byteStride: 12 },
          },
        },
      ],
    };
    const { json } = readGltfContainer(selfContainedGlb(readGltfContainer(textBytes(JSON.stringify(document)))));
    expect(json.buffers).toEqual([
      { byteLength: 44 },
      { byteLength: 36, extensions: { EXT_meshopt_compression: { fallback: true } } },
    ]);
    expect(json.bufferViews).toEqual([
      {
        buffer: 1,
        byteOffset: 0,
        byteLength: 36,
        extensions: {
          EXT_meshopt_compression: { buffer: 0, byteOffset: 12, byteLength: 20, count: 3, byteStride: 12 },
        },
      },
    ]);
  });
});
