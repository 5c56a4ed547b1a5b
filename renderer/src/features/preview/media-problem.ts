/** MediaError's codes (HTMLMediaElement.error.code), named. */
export const MEDIA_ERROR = { aborted: 1, network: 2, decode: 3, unsupported: 4 } as const;

export interface MediaProblem {
  readonly words: string;
  /** Worth trying again (the bytes stopped coming), as opposed to a file this player will never play. */
  readonly retry: boolean;
}

const NOUN = { video: 'video', audio: 'recording', image: 'image' } as const;

/**
 * What to tell the person when a preview cannot play or draw: in words, with what they can do — never
 * a spinner left turning. `arrived` says whether every byte is here (a damaged file vs. a pause in the stream).
 */
export function mediaProblem(
  kind: keyof typeof NOUN,
  code: number | undefined,
  mimetype: string | undefined,
  arrived: boolean,
): MediaProblem {
  const noun = NOUN[kind];
  const format = mimetype ? ` (${mimetype})` : '';
  const elsewhere = arrived ? 'Open it in another app.' : 'Once it has arrived, open it in another app.';
  switch (code) {
    case MEDIA_ERROR.unsupported:
      return {
        words: `This ${noun} cannot be ${kind === 'image' ? 'shown' : 'played'} here: its format${format} is not one the app can ${kind === 'image' ? 'draw' : 'play'}, or the file is damaged. ${elsewhere}`,
        retry: false,
      };
    case MEDIA_ERROR.decode:
      return { words: `This ${noun} is damaged: the player could not decode it. ${elsewhere}`, retry: false };
    case MEDIA_ERROR.network:
      return {
        words: `The ${noun}’s bytes stopped coming${arrived ? '' : ' (the sender may not have uploaded that part yet)'}.`,
        retry: true,
      };
    default:
      return { words: `This ${noun} could not be ${kind === 'image' ? 'shown' : 'played'}.`, retry: true };
  }
}
