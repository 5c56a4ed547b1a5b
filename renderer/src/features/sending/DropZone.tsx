import { type DragEvent, type ReactNode, useRef, useState } from 'react';
import { carriesFiles, droppedItems } from './dropped-files';
import { useSending } from './use-sending';
import { useMatrix } from '../matrix/use-matrix';

/**
 * The whole window takes dropped files once someone is signed in (no landmark of its own: it holds the
 * page's banner and main landmarks, which must stay top-level). Drag events fire for every child the
 * pointer crosses, so entering and leaving are counted rather than trusted one by one.
 */
export function DropZone({ children, enabled }: { readonly children: ReactNode; readonly enabled: boolean }) {
  const sendDropped = useSending((state) => state.sendDropped);
  const askForRoom = useSending((state) => state.askForRoom);
  const selectedRoomId = useMatrix((state) => state.selectedRoomId);
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
    // Dropped outside a room's own view: into the open room, or else the person picks one.
    const items = droppedItems(event.dataTransfer);
    if (selectedRoomId) sendDropped(items, selectedRoomId);
    else askForRoom({ kind: 'dropped', items });
  };

  return (
    <div
      className={`drop-zone${dragging ? ' is-dragging' : ''}`}
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      // A drop taken by something inside (a room in the room list) never reaches onDrop: the capture
      // phase sees every drop, so the highlight always goes.
      onDropCapture={() => {
        depth.current = 0;
        setDragging(false);
      }}
    >
      {children}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>{selectedRoomId ? 'Drop to send to this room' : 'Drop, then pick a room'}</p>
        </div>
      )}
    </div>
  );
}
