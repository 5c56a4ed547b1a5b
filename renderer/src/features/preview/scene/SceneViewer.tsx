import { type KeyboardEvent, type ReactNode, type RefObject, useEffect, useId, useRef, useState } from 'react';
import type { CameraLink } from './camera-link';
import { readGltfContainer } from './gltf-container';
import { selfContainedGlb } from './self-contained-glb';
import { sceneProblemSentence } from './scene-availability';
import { fetchSceneBytes } from './scene-bytes';
import { SceneFileError } from './scene-file-error';
import type { SceneStage } from './scene-stage';

type ViewerPhase =
  | { readonly kind: 'opening' }
  | { readonly kind: 'shown' }
  | { readonly kind: 'failed'; readonly sentence: string; readonly retryable: boolean };

/** One keypress turns the view by this much (radians) or zooms by this factor. */
const TURN_STEP = Math.PI / 12;
const ZOOM_STEP = 1.2;

const KEY_MOVES: Record<string, (stage: SceneStage) => void> = {
  ArrowLeft: (stage) => stage.orbit(-TURN_STEP, 0),
  ArrowRight: (stage) => stage.orbit(TURN_STEP, 0),
  ArrowUp: (stage) => stage.orbit(0, -TURN_STEP),
  ArrowDown: (stage) => stage.orbit(0, TURN_STEP),
  '+': (stage) => stage.zoom(1 / ZOOM_STEP),
  '=': (stage) => stage.zoom(1 / ZOOM_STEP),
  '-': (stage) => stage.zoom(ZOOM_STEP),
  Home: (stage) => stage.resetView(),
};

/** A file that is damaged or unsupported stays so; a lost GPU context, a failed read or missing WebGL may not. */
function canTryAgain(error: unknown): boolean {
  if (!(error instanceof SceneFileError)) return true;
  return error.code === 'UNREADABLE' || error.code === 'CONTEXT_LOST' || error.code === 'WEBGL_UNAVAILABLE';
}

/**
 * Whether the element has ever been on screen (or near it), telling `onChange` each time it comes and
 * goes: a scene never scrolled to takes no GPU context, and one scrolled away plays no animation.
 */
function useOnScreen(element: RefObject<HTMLElement | null>, onChange: (onScreen: boolean) => void): boolean {
  const [seen, setSeen] = useState(false);
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    const target = element.current;
    if (!target) return;
    const observer = new IntersectionObserver(
      (entries) => {
        const onScreen = entries.at(-1)?.isIntersecting ?? false;
        if (onScreen) setSeen(true);
        changed.current(onScreen);
      },
      { rootMargin: '200px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [element]);
  return seen;
}

/**
 * A complete scene drawn with three.js: read from `src` (the app's media handler), checked, parsed and
 * framed; turned by dragging or the arrow keys, zoomed with the wheel or + and −. In a card, the
 * wheel zooms only once the view has focus, so scrolling the timeline past a scene still scrolls.
 * Views on the same `link` move together.
 */
export function SceneViewer({
  src,
  label,
  link,
  wheelZoomNeedsFocus = false,
  actions,
}: {
  readonly src: string;
  /** What the view shows, for its accessible name: "atrium.glb", "previous snapshot of atrium.glb". */
  readonly label: string;
  readonly link?: CameraLink | undefined;
  readonly wheelZoomNeedsFocus?: boolean;
  /** More buttons beside Reset view. */
  readonly actions?: ReactNode;
}) {
  const viewport = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const stage = useRef<SceneStage | null>(null);
  const [phase, setPhase] = useState<ViewerPhase>({ kind: 'opening' });
  const [attempt, setAttempt] = useState(0);
  const onScreen = useRef(false);
  const seen = useOnScreen(viewport, (visible) => {
    onScreen.current = visible;
    stage.current?.setOnScreen(visible);
  });
  const hintId = useId();

  useEffect(() => {
    const element = canvas.current;
    const box = viewport.current;
    if (!seen || !element || !box) return;
    const aborted = new AbortController();
    let opened: SceneStage | null = null;
    let observer: ResizeObserver | undefined;
    let membership: ReturnType<CameraLink['join']> | undefined;
    setPhase({ kind: 'opening' });
    const fail = (error: unknown) => {
      if (!aborted.signal.aborted)
        setPhase({ kind: 'failed', sentence: sceneProblemSentence(error), retryable: canTryAgain(error) });
    };
    void (async () => {
      try {
        // three.js arrives while the bytes are read: it is loaded only for people who open a scene.
        const stageModule = import('./scene-stage');
        const started = performance.now();
        const glb = selfContainedGlb(readGltfContainer(await fetchSceneBytes(src, aborted.signal)));
        const read = performance.now();
        const { openSceneStage } = await stageModule;
        aborted.signal.throwIfAborted();
        const loaded = performance.now();
        opened = await openSceneStage({
          canvas: element,
          glb,
          width: box.clientWidth,
          height: box.clientHeight,
          animate: !window.matchMedia('(prefers-reduced-motion: reduce)').matches,
          signal: aborted.signal,
          onPoseChange: (pose) => membership?.moved(pose),
          onContextLost: () =>
            fail(
              new SceneFileError(
                'CONTEXT_LOST',
                'the view’s graphics were taken back (too many 3D views open at once, or the GPU was reset).',
              ),
            ),
        });
        if (aborted.signal.aborted) {
          opened.dispose();
          return;
        }
        const shown = opened;
        stage.current = shown;
        // For the developer tools' performance panel (and the browser test's figures).
        performance.measure('slipstream:scene-read', { start: started, end: read, detail: src });
        performance.measure('slipstream:scene-three-loaded', { start: started, end: loaded, detail: src });
        performance.measure('slipstream:scene-drawn', { start: started, detail: src });
        shown.setWheelZoom(!wheelZoomNeedsFocus || document.activeElement === element);
        shown.setOnScreen(onScreen.current);
        if (link) {
          membership = link.join((pose) => shown.showPose(pose));
          if (link.pose) shown.showPose(link.pose);
        }
        observer = new ResizeObserver(() => shown.resize(box.clientWidth, box.clientHeight));
        observer.observe(box);
        setPhase({ kind: 'shown' });
      } catch (error) {
        opened?.dispose();
        fail(error);
      }
    })();
    return () => {
      aborted.abort();
      observer?.disconnect();
      membership?.leave();
      opened?.dispose();
      stage.current = null;
    };
  }, [src, seen, attempt, link, wheelZoomNeedsFocus]);

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const move = KEY_MOVES[event.key];
    if (!move || !stage.current || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    move(stage.current);
  };

  const shown = phase.kind === 'shown';
  return (
    <div className="scene-viewer">
      <div className="scene-viewport" ref={viewport}>
        <canvas
          // A new canvas for each attempt: one whose context was lost or given back cannot make another.
          key={attempt}
          ref={canvas}
          className={shown ? 'scene-canvas' : 'scene-canvas is-hidden'}
          role="img"
          aria-label={`3D view of ${label}`}
          aria-describedby={shown ? hintId : undefined}
          tabIndex={shown ? 0 : -1}
          onKeyDown={onKeyDown}
          onFocus={() => stage.current?.setWheelZoom(true)}
          onBlur={() => wheelZoomNeedsFocus && stage.current?.setWheelZoom(false)}
        />
        {phase.kind === 'opening' && <p className="scene-overlay">Opening the scene…</p>}
        {phase.kind === 'failed' && (
          <div className="scene-overlay scene-problem" role="alert">
            <p>{phase.sentence}</p>
            {phase.retryable && (
              <button type="button" onClick={() => setAttempt((count) => count + 1)}>
                Try again
              </button>
            )}
          </div>
        )}
      </div>
      <div className="scene-toolbar">
        {phase.kind !== 'failed' && (
          <p className="scene-hint" id={hintId}>
            {wheelZoomNeedsFocus
              ? 'Drag or arrow keys to turn; click, then scroll or + − to zoom.'
              : 'Drag or arrow keys to turn; scroll or + − to zoom.'}
          </p>
        )}
        <div className="scene-actions">
          {phase.kind !== 'failed' && (
            <button
              type="button"
              className="quiet"
              disabled={!shown}
              onClick={() => stage.current?.resetView()}
              aria-label={`Reset view of ${label}`}
            >
              Reset view
            </button>
          )}
          {actions}
        </div>
      </div>
    </div>
  );
}
