/** What a key does to a video or audio preview that has focus (the keys of the players people know). */
export type MediaKeyAction =
  | { readonly kind: 'toggle-play' }
  | { readonly kind: 'seek-by'; readonly seconds: number }
  | { readonly kind: 'seek-to-fraction'; readonly fraction: number }
  | { readonly kind: 'volume-by'; readonly step: number }
  | { readonly kind: 'toggle-mute' }
  | { readonly kind: 'toggle-fullscreen' }
  | { readonly kind: 'toggle-picture-in-picture' };

export interface KeyPress {
  readonly key: string;
  readonly altKey?: boolean;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  /** The key was pressed on a button or slider inside the player, which has its own meaning for Space and Enter. */
  readonly onControl?: boolean;
}

/**
 * Space or K play and pause; ←/→ go 5 s back or on, J/L 10 s; Home/End the start and the end; 0–9
 * that tenth of the way; ↑/↓ the volume; M mutes; F full screen; P picture-in-picture (video only).
 * Keys with Ctrl, Alt or ⌘ are the system's, never the player's.
 */
export function mediaKeyAction(press: KeyPress, video: boolean): MediaKeyAction | undefined {
  if (press.altKey || press.ctrlKey || press.metaKey) return undefined;
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  switch (key) {
    case ' ':
      return press.onControl ? undefined : { kind: 'toggle-play' };
    case 'k':
      return { kind: 'toggle-play' };
    case 'ArrowLeft':
      return { kind: 'seek-by', seconds: -5 };
    case 'ArrowRight':
      return { kind: 'seek-by', seconds: 5 };
    case 'j':
      return { kind: 'seek-by', seconds: -10 };
    case 'l':
      return { kind: 'seek-by', seconds: 10 };
    case 'Home':
      return { kind: 'seek-to-fraction', fraction: 0 };
    case 'End':
      return { kind: 'seek-to-fraction', fraction: 1 };
    case 'ArrowUp':
      return { kind: 'volume-by', step: 0.1 };
    case 'ArrowDown':
      return { kind: 'volume-by', step: -0.1 };
    case 'm':
      return { kind: 'toggle-mute' };
    case 'f':
      return video ? { kind: 'toggle-fullscreen' } : undefined;
    case 'p':
      return video ? { kind: 'toggle-picture-in-picture' } : undefined;
    default:
      return /^[0-9]$/.test(key) ? { kind: 'seek-to-fraction', fraction: Number(key) / 10 } : undefined;
  }
}
