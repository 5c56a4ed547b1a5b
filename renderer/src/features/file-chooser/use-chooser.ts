import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import type { ChooserState } from './chooser-store';

export function useChooser<T>(selector: (state: ChooserState) => T): T {
  return useStore(useAppStores().chooser, selector);
}
