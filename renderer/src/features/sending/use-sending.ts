import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import type { SendingState } from './sending-store';

export function useSending<T>(selector: (state: SendingState) => T): T {
  return useStore(useAppStores().sending, selector);
}
