import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import type { TransfersState } from './transfers-store';

export function useTransfers<T>(selector: (state: TransfersState) => T): T {
  return useStore(useAppStores().transfers, selector);
}
