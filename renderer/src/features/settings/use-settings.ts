import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import type { SettingsState } from './settings-store';

export function useSettings<T>(selector: (state: SettingsState) => T): T {
  return useStore(useAppStores().settings, selector);
}
