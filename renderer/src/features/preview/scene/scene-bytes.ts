import { SceneFileError } from './scene-file-error';

/**
 * A complete scene's decrypted bytes from the app's media handler. three.js parses a scene from one
 * buffer, so the whole file is read; this runs only once the transfer is complete (or is this
 * device's own send), so nothing is waited for. The handler words its refusals in its body.
 */
export async function fetchSceneBytes(src: string, signal: AbortSignal): Promise<ArrayBuffer> {
  const response = await fetch(src, { signal, cache: 'no-store' });
  if (!response.ok) {
    const said = (await response.text().catch(() => '')).trim().replace(/\.$/, '');
    throw new SceneFileError('UNREADABLE', `its bytes could not be read here: ${said || `HTTP ${response.status}`}.`);
  }
  const bytes = await response.arrayBuffer();
  if (bytes.byteLength === 0) throw new SceneFileError('NOT_GLTF', 'the file is empty.');
  return bytes;
}
