import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import { useTransfers } from '../../transfers/use-transfers';

/** This device's newest transfer of a file event, as the timeline picks it for the event's card. */
export function useTransferOfEvent(eventId: string): TransferUpdate | undefined {
  return useTransfers((state) => {
    let newest: TransferUpdate | undefined;
    for (const transfer of Object.values(state.byId)) {
      if (transfer.eventId === eventId && (!newest || newest.createdAt < transfer.createdAt)) newest = transfer;
    }
    return newest;
  });
}
