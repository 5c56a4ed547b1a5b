import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import type { SessionState } from './session-store';

export function useSession<T>(selector: (state: SessionState) => T): T {
  return useStore(useAppStores().session, selector);
}
