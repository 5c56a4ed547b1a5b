import {
  AnimationMixer,
  Box3,
  Clock,
  DirectionalLight,
  HemisphereLight,
  type Material,
  type Mesh,
  NeutralToneMapping,
  type Object3D,
  PerspectiveCamera,
  PMREMGenerator,
  Scene,
  type Texture,
  Vector3,
  WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import { type CameraPose, type Framing, frameBounds, orbited, type Vec3, zoomed } from './framing';
import { SceneFileError } from './scene-file-error';
import { gltfLoaderFor } from './scene-loaders';

/*
 * The three.js side of one scene view, loaded only when a scene is shown (three.js stays out of the
 * main bundle). It draws when something changed — the camera moved, the view was resized — and runs
 * a loop only while the scene has animations to play.
 */

export interface SceneStageOptions {
  readonly canvas: HTMLCanvasElement;
  /** A GLB, complete and self-contained (self-contained-glb.ts). */
  readonly glb: ArrayBuffer;
  /** The person moved the camera (drag, wheel, keys, Reset view); not called for `showPose`. */
  readonly onPoseChange: (pose: CameraPose) => void;
  /** The GPU context went away after the scene was shown. */
  readonly onContextLost: () => void;
  /** Play the scene's animations (off when the person asked the system for reduced motion). */
  readonly animate: boolean;
  /** The canvas's size in CSS pixels when it opens. */
  readonly width: number;
  readonly height: number;
  /** Unmounted while the scene was being parsed: the stage is taken down and the promise rejects. */
  readonly signal: AbortSignal;
}

export interface SceneStage {
  /** The canvas's size in CSS pixels. */
  resize(width: number, height: number): void;
  /** Back to the framing the scene opened with. */
  resetView(): void;
  orbit(azimuth: number, polar: number): void;
  zoom(factor: number): void;
  pose(): CameraPose;
  /** Shows a pose another view chose (camera link), without announcing it as this view's own move. */
  showPose(pose: CameraPose): void;
  /** The wheel zooms (and the page does not scroll under it) only while this is on. */
  setWheelZoom(enabled: boolean): void;
  /** Animations play only while the view is on screen: no loop runs for a card scrolled away. */
  setOnScreen(onScreen: boolean): void;
  dispose(): void;
}

const FIELD_OF_VIEW = 45;

const toVec3 = (vector: Vector3): Vec3 => [vector.x, vector.y, vector.z];

function disposeObject(root: Object3D): void {
  const textures = new Set<Texture>();
  root.traverse((object) => {
    const mesh = object as Partial<Mesh>;
    mesh.geometry?.dispose();
    const materials: Material[] = Array.isArray(mesh.material) ? mesh.material : mesh.material ? [mesh.material] : [];
    for (const material of materials) {
      for (const value of Object.values(material)) if ((value as Texture | null)?.isTexture) textures.add(value);
      material.dispose();
    }
  });
  for (const texture of textures) texture.dispose();
}

function createRenderer(canvas: HTMLCanvasElement): WebGLRenderer {
  try {
    return new WebGLRenderer({ canvas, antialias: true, alpha: true, powerPreference: 'low-power' });
  } catch {
    throw new SceneFileError(
      'WEBGL_UNAVAILABLE',
      'this computer’s 3D graphics (WebGL) are not available to Slipstream, so no scene can be drawn here.',
    );
  }
}

export async function openSceneStage(options: SceneStageOptions): Promise<SceneStage> {
  const { canvas } = options;
  const renderer = createRenderer(canvas);
  const scene = new Scene();
  const camera = new PerspectiveCamera(FIELD_OF_VIEW, 1, 0.1, 1000);
  let environment: Texture | undefined;
  let controls: OrbitControls | undefined;
  let mixer: AnimationMixer | undefined;
  /** The animation loop draws every frame while it runs; otherwise a frame is drawn when asked for. */
  let animating = false;
  let frame = 0;
  let disposed = false;

  const dispose = () => {
    if (disposed) return;
    disposed = true;
    cancelAnimationFrame(frame);
    renderer.setAnimationLoop(null);
    canvas.removeEventListener('webglcontextlost', lost);
    controls?.dispose();
    mixer?.stopAllAction();
    disposeObject(scene);
    environment?.dispose();
    renderer.dispose();
    // Chromium keeps a handful of WebGL contexts per page: give this one back now, not at garbage collection.
    renderer.forceContextLoss();
  };
  const lost = (event: Event) => {
    event.preventDefault();
    if (!disposed) options.onContextLost();
  };
  canvas.addEventListener('webglcontextlost', lost);

  try {
    renderer.toneMapping = NeutralToneMapping;
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    const pmrem = new PMREMGenerator(renderer);
    environment = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
    pmrem.dispose();
    scene.environment = environment;
    scene.add(new HemisphereLight(0xffffff, 0x808080, 0.6));
    const sun = new DirectionalLight(0xffffff, 1.2);
    sun.position.set(3, 6, 4);
    scene.add(sun);

    const gltf = await gltfLoaderFor(renderer).parseAsync(options.glb, '');
    options.signal.throwIfAborted();
    const content = gltf.scene ?? gltf.scenes[0];
    if (!content) throw new SceneFileError('EMPTY_SCENE', 'it has no scene to show.');
    scene.add(content);
    const box = new Box3().setFromObject(content);
    if (box.isEmpty()) throw new SceneFileError('EMPTY_SCENE', 'it has nothing to draw (no meshes).');
    const bounds = { min: toVec3(box.min), max: toVec3(box.max) };

    const orbit = new OrbitControls(camera, canvas);
    controls = orbit;
    camera.aspect = options.width / Math.max(1, options.height);
    let framing: Framing = frameBounds(bounds, FIELD_OF_VIEW, camera.aspect);
    /** A move made by `place` (which announces it itself, or not), rather than by dragging or the wheel. */
    let placing = false;
    /** The person (or the linked view) chose a view: resizing keeps it instead of framing again. */
    let chosen = false;

    const draw = () => {
      frame = 0;
      renderer.render(scene, camera);
    };
    const requestDraw = () => {
      if (frame === 0 && !animating) frame = requestAnimationFrame(draw);
    };
    const pose = (): CameraPose => ({ position: toVec3(camera.position), target: toVec3(orbit.target) });
    const place = (next: CameraPose, announce: boolean) => {
      placing = true;
      try {
        camera.position.set(...next.position);
        orbit.target.set(...next.target);
        orbit.update();
      } finally {
        placing = false;
      }
      requestDraw();
      if (announce) options.onPoseChange(pose());
    };
    const applyFraming = () => {
      camera.near = framing.near;
      camera.far = framing.far;
      camera.updateProjectionMatrix();
      orbit.minDistance = framing.minDistance;
      orbit.maxDistance = framing.maxDistance;
    };
    const resize = (width: number, height: number) => {
      if (width <= 0 || height <= 0) return;
      renderer.setSize(width, height, false);
      camera.aspect = width / height;
      // The framing depends on the shape: a narrow card must still show the whole scene.
      framing = frameBounds(bounds, FIELD_OF_VIEW, camera.aspect);
      applyFraming();
      if (!chosen) place(framing, false);
      draw();
    };

    orbit.addEventListener('change', () => {
      requestDraw();
      if (placing) return;
      chosen = true;
      options.onPoseChange(pose());
    });
    resize(options.width, options.height);

    let play: (running: boolean) => void = () => undefined;
    if (gltf.animations.length > 0 && options.animate) {
      const clock = new Clock();
      const playing = new AnimationMixer(content);
      for (const clip of gltf.animations) playing.clipAction(clip).play();
      mixer = playing;
      play = (running) => {
        if (running === animating) return;
        animating = running;
        // Time spent off screen is not played all at once on return.
        clock.getDelta();
        const tick = () => {
          playing.update(clock.getDelta());
          renderer.render(scene, camera);
        };
        renderer.setAnimationLoop(running ? tick : null);
      };
      play(true);
    }

    return {
      resize,
      resetView() {
        chosen = false;
        place(framing, true);
      },
      orbit(azimuth, polar) {
        chosen = true;
        place({ position: orbited(pose(), azimuth, polar), target: pose().target }, true);
      },
      zoom(factor) {
        chosen = true;
        place(
          { position: zoomed(pose(), factor, framing.minDistance, framing.maxDistance), target: pose().target },
          true,
        );
      },
      pose,
      showPose(next) {
        chosen = true;
        place(next, false);
      },
      setWheelZoom(enabled) {
        orbit.enableZoom = enabled;
      },
      setOnScreen(onScreen) {
        play(onScreen);
      },
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
