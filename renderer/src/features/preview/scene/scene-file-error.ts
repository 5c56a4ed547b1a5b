/** Why a scene cannot be shown, as a machine code beside the sentence. */
export type SceneProblemCode =
  | 'NOT_GLTF'
  | 'DAMAGED'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_EXTENSION'
  | 'EXTERNAL_FILES'
  | 'EMPTY_SCENE'
  | 'UNREADABLE'
  | 'WEBGL_UNAVAILABLE'
  | 'CONTEXT_LOST';

/**
 * A scene file the viewer refuses or cannot draw. `message` completes "This scene could not be shown:"
 * and is written for the person looking at the card.
 */
export class SceneFileError extends Error {
  constructor(
    readonly code: SceneProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'SceneFileError';
  }
}
