import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Settings, SettingsPatch } from '../../../../shared/app/settings';
import type { SlipstreamApi } from '../../../../shared/ipc-contract';
import { messageOf } from '../../text/error-message';

export interface SettingsState {
  /** Null until the main side answered. */
  readonly settings: Settings | null;
  readonly loadError: string | null;
  load(): Promise<void>;
  /** Applies a change; rejects with the main side's sentence when it refuses one. */
  update(patch: SettingsPatch): Promise<void>;
  dispose(): void;
}

export type SettingsStore = StoreApi<SettingsState>;

/** The app's settings, kept by the main side; every window hears every change (settingsChanged). */
export function createSettingsStore(api: SlipstreamApi): SettingsStore {
  const store = createStore<SettingsState>((set) => ({
    settings: null,
    loadError: null,

    async load() {
      try {
        set({ settings: await api.getSettings(), loadError: null });
      } catch (error) {
        set({ loadError: `The settings could not be read: ${messageOf(error)}` });
      }
    },

    async update(patch) {
      set({ settings: await api.updateSettings(patch) });
    },

    dispose() {
      unsubscribe();
    },
  }));
  const unsubscribe = api.on('settingsChanged', (settings) => store.setState({ settings, loadError: null }));
  return store;
}
