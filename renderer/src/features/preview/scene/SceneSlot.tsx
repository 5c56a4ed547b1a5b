import type { ReactNode } from 'react';
import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import type { CameraLink } from './camera-link';
import { sceneAvailabilityOf } from './scene-availability';
import { SceneViewer } from './SceneViewer';
import { useReceiveFile } from '../../room/use-receive-file';

/**
 * One scene where its bytes stand on this device: offered (View scene starts the download), arriving
 * (how far), or here and drawn. A failed or cancelled transfer shows nothing: the card says why.
 */
export function SceneSlot({
  eventId,
  roomId,
  transfer,
  src,
  label,
  link,
  wheelZoomNeedsFocus,
  actions,
}: {
  readonly eventId: string;
  readonly roomId: string | undefined;
  readonly transfer: TransferUpdate | undefined;
  readonly src: string | undefined;
  readonly label: string;
  readonly link?: CameraLink | undefined;
  readonly wheelZoomNeedsFocus?: boolean;
  readonly actions?: ReactNode;
}) {
  const receive = useReceiveFile(eventId, roomId);
  const availability = sceneAvailabilityOf(transfer);
  if (availability.kind === 'gone') return null;
  if (availability.kind === 'ready' && src !== undefined) {
    return (
      <SceneViewer src={src} label={label} link={link} wheelZoomNeedsFocus={wheelZoomNeedsFocus} actions={actions} />
    );
  }
  return (
    <div className="scene-viewer">
      <div className="scene-viewport is-waiting">
        {availability.kind === 'offered' ? (
          <div className="scene-overlay">
            <p>A 3D scene, not downloaded to this device yet.</p>
            <button type="button" className="primary" disabled={receive.starting} onClick={() => void receive.start()}>
              {receive.starting ? 'Starting…' : 'View scene'}
            </button>
            {receive.problem && (
              <p className="field-problem" role="alert">
                {receive.problem}
              </p>
            )}
          </div>
        ) : (
          <p className="scene-overlay">
            {availability.kind === 'arriving' ? availability.words : 'Opening the scene…'}
          </p>
        )}
      </div>
      {actions && (
        <div className="scene-toolbar">
          <div className="scene-actions">{actions}</div>
        </div>
      )}
    </div>
  );
}
