import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react';
import { arrivalWords, bufferedSpans, type Span } from './arrival';
import { mediaKeyAction } from './media-keys';
import { type MediaProblem, mediaProblem } from './media-problem';

interface MediaPlayerProps {
  readonly kind: 'video' | 'audio';
  /** The decrypted bytes (served with Range: seeks past what has arrived are fetched from the server and authenticated). */
  readonly src: string;
  readonly fileName: string;
  readonly mimetype: string | undefined;
  /** The event's thumbnail, shown until the first frame. */
  readonly poster: string | undefined;
  /** How much of the file is here (0–1), while it arrives; undefined once it has all arrived. */
  readonly arrived: number | undefined;
  /** Start playing as soon as it can (the person pressed Play). */
  readonly autoPlay: boolean;
}

/** How often a player whose bytes stopped coming tries again, while they may still come. */
const RETRY_DELAY_MS = 1500;
const MAX_RETRIES = 20;

/**
 * An inline player for a file that may still be arriving. The platform's player does the decoding,
 * the seeking and most of the controls; this adds what it lacks here: a bar of what has arrived and
 * what is ready to play, the keys of the players people know, picture-in-picture and full-screen
 * buttons, and a sentence instead of a spinner when it cannot play.
 */
export function MediaPlayer({ kind, src, fileName, mimetype, poster, arrived, autoPlay }: MediaPlayerProps) {
  const media = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const retries = useRef(0);
  const [problem, setProblem] = useState<MediaProblem | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'buffering'>('loading');
  const [spans, setSpans] = useState<readonly Span[]>([]);
  const [duration, setDuration] = useState(Number.NaN);
  const [pictureInPicture, setPictureInPicture] = useState(false);
  const stillArriving = arrived !== undefined;
  const arrivingRef = useRef(stillArriving);
  arrivingRef.current = stillArriving;

  const readBuffered = useCallback(() => {
    const element = media.current;
    if (!element) return;
    const next = bufferedSpans(element.buffered, element.duration);
    setSpans((current) =>
      current.length === next.length &&
      current.every((span, index) => span.start === next[index]!.start && Math.abs(span.end - next[index]!.end) < 0.002)
        ? current
        : next,
    );
  }, []);

  useEffect(() => {
    const element = media.current;
    if (!element) return;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const onError = () => {
      const failed = mediaProblem(kind, element.error?.code, mimetype, !arrivingRef.current);
      // A pause in the stream while the file still arrives (or a seek far past the upload): try again
      // from where it was, a little later, rather than give up.
      if (failed.retry && retries.current < MAX_RETRIES) {
        retries.current += 1;
        setStatus('buffering');
        const position = element.currentTime;
        const playing = !element.paused || autoPlay;
        retryTimer = setTimeout(() => {
          element.load();
          element.currentTime = position;
          if (playing) void element.play().catch(() => undefined);
        }, RETRY_DELAY_MS);
        return;
      }
      setProblem(failed);
    };
    const onLoadedMetadata = () => {
      setDuration(element.duration);
      setStatus('ready');
      readBuffered();
    };
    const onPlaying = () => {
      retries.current = 0;
      setStatus('ready');
    };
    const onWaiting = () => setStatus('buffering');
    const onEnterPip = () => setPictureInPicture(true);
    const onLeavePip = () => setPictureInPicture(false);
    element.addEventListener('error', onError);
    element.addEventListener('loadedmetadata', onLoadedMetadata);
    element.addEventListener('durationchange', onLoadedMetadata);
    element.addEventListener('playing', onPlaying);
    element.addEventListener('canplay', onPlaying);
    element.addEventListener('waiting', onWaiting);
    element.addEventListener('progress', readBuffered);
    element.addEventListener('timeupdate', readBuffered);
    element.addEventListener('enterpictureinpicture', onEnterPip);
    element.addEventListener('leavepictureinpicture', onLeavePip);
    return () => {
      clearTimeout(retryTimer);
      element.removeEventListener('error', onError);
      element.removeEventListener('loadedmetadata', onLoadedMetadata);
      element.removeEventListener('durationchange', onLoadedMetadata);
      element.removeEventListener('playing', onPlaying);
      element.removeEventListener('canplay', onPlaying);
      element.removeEventListener('waiting', onWaiting);
      element.removeEventListener('progress', readBuffered);
      element.removeEventListener('timeupdate', readBuffered);
      element.removeEventListener('enterpictureinpicture', onEnterPip);
      element.removeEventListener('leavepictureinpicture', onLeavePip);
    };
    // `problem`: the element is replaced by the message, and a new one comes back with Try again.
  }, [kind, mimetype, autoPlay, readBuffered, problem]);

  // The person pressed Play: start as soon as there is something to play (muted if the page may not
  // play sound before an interaction with it).
  useEffect(() => {
    const element = media.current;
    if (!autoPlay || !element) return;
    element.play().catch(() => {
      element.muted = true;
      return element.play().catch(() => undefined);
    });
  }, [autoPlay]);

  const toggleFullscreen = () => {
    const element = media.current;
    if (!element) return;
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void element.requestFullscreen().catch(() => undefined);
  };
  const togglePictureInPicture = () => {
    const element = media.current as HTMLVideoElement | null;
    if (!element) return;
    if (document.pictureInPictureElement) void document.exitPictureInPicture().catch(() => undefined);
    else void element.requestPictureInPicture().catch(() => undefined);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    const element = media.current;
    if (!element) return;
    const target = event.target as HTMLElement;
    const action = mediaKeyAction(
      { ...event, onControl: target !== element && target.closest('button, input, select') !== null },
      kind === 'video',
    );
    if (!action) return;
    event.preventDefault();
    const length = Number.isFinite(element.duration) ? element.duration : 0;
    switch (action.kind) {
      case 'toggle-play':
        if (element.paused) void element.play().catch(() => undefined);
        else element.pause();
        break;
      case 'seek-by':
        element.currentTime = Math.max(0, Math.min(length || Infinity, element.currentTime + action.seconds));
        break;
      case 'seek-to-fraction':
        if (length) element.currentTime = Math.min(length - 0.1, action.fraction * length);
        break;
      case 'volume-by':
        element.volume = Math.max(0, Math.min(1, element.volume + action.step));
        element.muted = false;
        break;
      case 'toggle-mute':
        element.muted = !element.muted;
        break;
      case 'toggle-fullscreen':
        toggleFullscreen();
        break;
      case 'toggle-picture-in-picture':
        togglePictureInPicture();
        break;
    }
  };

  const words = arrivalWords(arrived, spans, duration);
  const label = `${kind === 'video' ? 'Video' : 'Audio'}: ${fileName}`;
  const pipAvailable = kind === 'video' && typeof document !== 'undefined' && document.pictureInPictureEnabled;

  if (problem) {
    // The player is gone with its spinner: what went wrong, and a way to try again when that may help.
    return (
      <div className={`media-player is-${kind} has-problem`}>
        <p className="field-problem preview-problem" role="alert">
          {problem.words}
        </p>
        {problem.retry && (
          <button
            type="button"
            className="quiet"
            onClick={() => {
              retries.current = 0;
              setProblem(null);
              setStatus('loading');
            }}
          >
            Try again
          </button>
        )}
      </div>
    );
  }

  return (
    <figure className={`media-player is-${kind}`} onKeyDown={onKeyDown}>
      {kind === 'video' ? (
        <video
          ref={media}
          src={src}
          poster={poster}
          controls
          playsInline
          preload="metadata"
          crossOrigin="anonymous"
          aria-label={label}
          aria-keyshortcuts="Space K J L ArrowLeft ArrowRight Home End M F P"
        />
      ) : (
        <audio
          ref={media}
          src={src}
          controls
          preload="metadata"
          crossOrigin="anonymous"
          aria-label={label}
          aria-keyshortcuts="Space K J L ArrowLeft ArrowRight Home End M"
        />
      )}
      <div className="arrival-bar" aria-hidden="true" title={words}>
        {arrived !== undefined && <span className="arrival-here" style={{ width: `${Math.min(1, arrived) * 100}%` }} />}
        {spans.map((span) => (
          <span
            key={span.start}
            className="arrival-buffered"
            style={{ left: `${span.start * 100}%`, width: `${(span.end - span.start) * 100}%` }}
          />
        ))}
      </div>
      <figcaption className="media-player-caption">
        <span className="media-status" aria-live="polite">
          {status === 'loading'
            ? stillArriving
              ? 'Waiting for the first bytes…'
              : 'Loading…'
            : status === 'buffering'
              ? 'Waiting for more of the file…'
              : words}
        </span>
        {kind === 'video' && (
          <span className="media-player-buttons">
            {pipAvailable && (
              <button type="button" className="quiet" onClick={togglePictureInPicture} aria-pressed={pictureInPicture}>
                Picture in picture
              </button>
            )}
            <button type="button" className="quiet" onClick={toggleFullscreen}>
              Full screen
            </button>
          </span>
        )}
      </figcaption>
    </figure>
  );
}
