import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { MEDIA_ERROR, mediaProblem } from './media-problem';

interface ImagePreviewProps {
  /** The decrypted bytes; the browser draws a progressive JPEG or an interlaced PNG as they arrive. */
  readonly src: string | undefined;
  readonly fileName: string;
  readonly mimetype: string | undefined;
  /** The event's thumbnail: shown at once, under the image as it fills in. */
  readonly thumbnail: string | undefined;
  /** Width and height the event gave, so the card keeps its size while the image arrives. */
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly arrived: boolean;
}

/** An image in its card as it arrives, over its thumbnail; a click shows it whole. */
export function ImagePreview({ src, fileName, mimetype, thumbnail, width, height, arrived }: ImagePreviewProps) {
  const [loaded, setLoaded] = useState(false);
  const [broken, setBroken] = useState(false);
  const [fullView, setFullView] = useState(false);
  if (!src && !thumbnail) return null;
  const shape = width && height ? { aspectRatio: `${width} / ${height}` } : undefined;
  return (
    <div className="image-preview">
      {broken ? (
        <p className="field-problem preview-problem" role="alert">
          {mediaProblem('image', MEDIA_ERROR.unsupported, mimetype, arrived).words}
        </p>
      ) : (
        <button
          type="button"
          className="image-preview-frame"
          style={shape}
          disabled={!loaded}
          onClick={() => setFullView(true)}
          aria-label={loaded ? `Show ${fileName} whole` : `${fileName}, arriving`}
        >
          {thumbnail && !loaded && <img className="image-preview-thumbnail" src={thumbnail} alt="" />}
          {src && (
            <img
              className="image-preview-image"
              src={src}
              alt={fileName}
              decoding="async"
              onLoad={() => setLoaded(true)}
              onError={() => setBroken(true)}
            />
          )}
        </button>
      )}
      {fullView && src && (
        <Dialog title={fileName} onClose={() => setFullView(false)} className="image-full-view">
          <img className="image-full" src={src} alt={fileName} />
          <div className="dialog-actions">
            <button type="button" data-autofocus onClick={() => setFullView(false)}>
              Close
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
