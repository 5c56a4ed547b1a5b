import { type DragEvent, type ReactNode, useRef, useState } from 'react';
import { carriesFiles, droppedItems } from './dropped-files';
import { useSending } from './use-sending';

/**
 * The whole window takes dropped files once someone is signed in (no landmark of its own: it holds the
 * page's banner and main landmarks, which must stay top-level). Drag events fire for every child the
 * pointer crosses, so entering and leaving are counted rather than trusted one by one.
 */
export function DropZone({ children, enabled }: { readonly children: ReactNode; readonly enabled: boolean }) {
  const sendDropped = useSending((state) => state.sendDropped);
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);

  const onDragEnter = (event: DragEvent) => {
    if (!enabled || !carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    depth.current += 1;
    setDragging(true);
  };
  const onDragOver = (event: DragEvent) => {
    if (!enabled || !carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  };
  const onDragLeave = () => {
    if (!enabled) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  };
  const onDrop = (event: DragEvent) => {
    if (!enabled || !carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    sendDropped(droppedItems(event.dataTransfer));
  };

  return (
    <div
      className={`drop-zone${dragging ? ' is-dragging' : ''}`}
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {children}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop to send</p>
        </div>
      )}
    </div>
  );
}
