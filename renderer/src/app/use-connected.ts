import { useStore } from 'zustand';
import { useAppStores } from './app-stores';

/** Whether the main side can be reached now; while it cannot, what the page shows is the last it heard. */
export function useConnected(): boolean {
  return useStore(useAppStores().platform.connection, (state) => state.phase.kind === 'connected');
}
