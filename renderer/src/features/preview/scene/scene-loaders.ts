import { TextureLoader, type WebGLRenderer } from 'three';
import { DRACO_GLTF_CONFIG, DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import { GLTFLoader, type GLTFLoaderPlugin, type GLTFParser } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';

/*
 * One glTF loader for the page, with every decoder three.js provides. The DRACO and Basis decoders are
 * files three.js names with `new URL(…, import.meta.url)`, which Vite copies into the build beside this
 * chunk: they come from the app's own origin, as the CSP requires ('self' and 'wasm-unsafe-eval', no
 * remote origin), and each runs in a worker made from a blob: URL (worker-src allows blob:). They are
 * fetched only when a scene uses them. The meshopt decoder carries its WebAssembly inside itself.
 */

let dracoLoader: DRACOLoader | undefined;
let ktx2Loader: KTX2Loader | undefined;

/**
 * GLTFLoader reads a GLB's images through blob: URLs, with fetch() (ImageBitmapLoader) where the
 * browser has createImageBitmap. The CSP's connect-src does not include blob: (only img-src does), so
 * images go through an <img> element instead, which three.js does anyway where image bitmaps are
 * missing.
 */
function imagesThroughImgElements(parser: GLTFParser): GLTFLoaderPlugin {
  parser.textureLoader = new TextureLoader(parser.options.manager);
  return { name: 'slipstream_images_through_img_elements' };
}

export function gltfLoaderFor(renderer: WebGLRenderer): GLTFLoader {
  dracoLoader ??= new DRACOLoader().setDecoderPath(DRACO_GLTF_CONFIG);
  // Which compressed texture formats the GPU takes is the same for every renderer on this page.
  ktx2Loader ??= new KTX2Loader().detectSupport(renderer);
  return new GLTFLoader()
    .setDRACOLoader(dracoLoader)
    .setKTX2Loader(ktx2Loader)
    .setMeshoptDecoder(MeshoptDecoder)
    .register(imagesThroughImgElements);
}
