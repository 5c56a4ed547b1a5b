import { useId, useState } from 'react';
import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import { Dialog } from '../../../components/Dialog';
import { formatDate } from '../../../text/quantities';
import type { FileItem } from '../../room/timeline-items';
import { CameraLink } from './camera-link';
import { SceneSlot } from './SceneSlot';

interface Snapshot {
  readonly item: FileItem;
  readonly transfer: TransferUpdate | undefined;
  readonly src: string | undefined;
}

function SnapshotPane({
  heading,
  snapshot,
  transfer,
  roomId,
  link,
  label,
}: {
  readonly heading: string;
  readonly snapshot: Snapshot;
  readonly transfer: TransferUpdate | undefined;
  readonly roomId: string | undefined;
  readonly link: CameraLink;
  readonly label: string;
}) {
  const headingId = useId();
  return (
    <section className="scene-compare-pane" aria-labelledby={headingId}>
      <h3 id={headingId} className="scene-compare-heading">
        {heading}
      </h3>
      <p className="scene-compare-meta">
        {snapshot.item.senderName} · <time>{formatDate(snapshot.item.timestamp)}</time>
      </p>
      <SceneSlot
        eventId={snapshot.item.id}
        roomId={roomId}
        transfer={transfer}
        src={snapshot.src}
        label={label}
        link={link}
      />
    </section>
  );
}

/**
 * Two snapshots of one scene side by side, their cameras linked: turning or zooming either view moves
 * the other the same way, so a change between snapshots is seen from one place. The previous snapshot
 * may not be on this device yet; its pane offers to download it and shows how far it has come.
 */
export function CompareScenesDialog({
  current,
  previous,
  roomId,
  onClose,
}: {
  readonly current: Snapshot;
  readonly previous: Snapshot;
  readonly roomId: string | undefined;
  readonly onClose: () => void;
}) {
  const [link] = useState(() => new CameraLink());
  const name = current.item.fileName;
  return (
    <Dialog
      title={`Compare snapshots of ${name}`}
      onClose={onClose}
      className="scene-compare-dialog"
      description={<p>The two views move together: turn or zoom either one.</p>}
    >
      <div className="scene-compare">
        <SnapshotPane
          heading="Previous snapshot"
          snapshot={previous}
          transfer={previous.transfer}
          roomId={roomId}
          link={link}
          label={`the previous snapshot of ${previous.item.fileName}`}
        />
        <SnapshotPane
          heading="This snapshot"
          snapshot={current}
          transfer={current.transfer}
          roomId={roomId}
          link={link}
          label={`this snapshot of ${name}`}
        />
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
