import { ErrorNotice } from '../../components/ErrorNotice';
import { CopyingList } from '../sending/CopyingList';
import { useSending } from '../sending/use-sending';
import { TransferRow } from './TransferRow';
import { useTransfers } from './use-transfers';

function EmptyTransfers() {
  return (
    <div className="empty-state">
      <p className="empty-title">No transfers yet</p>
      <p>Files you send or download appear here with their progress. You can pause, resume or cancel them.</p>
    </div>
  );
}

/** Every transfer the engine knows, live, with the dropped files still being copied in above them. */
export function TransfersPanel() {
  const order = useTransfers((state) => state.order);
  const loaded = useTransfers((state) => state.loaded);
  const loadError = useTransfers((state) => state.loadError);
  const copyingCount = useSending((state) => state.copying.length);
  const announcement = useTransfers((state) => state.announcement);

  return (
    <section className="transfers" aria-labelledby="transfers-title">
      <h2 id="transfers-title">Transfers</h2>
      {loadError && <ErrorNotice message={loadError} />}
      <CopyingList />
      {order.length > 0 && (
        <ul className="transfer-list" aria-label="Transfers">
          {order.map((id) => (
            <TransferRow key={id} id={id} />
          ))}
        </ul>
      )}
      {loaded && !loadError && order.length === 0 && copyingCount === 0 && <EmptyTransfers />}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </section>
  );
}
