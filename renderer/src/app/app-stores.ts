import { createContext, useContext } from 'react';
import type { AppInfo } from '../../../shared/ipc-contract';
import type { ChooserStore } from '../features/file-chooser/chooser-store';
import type { FileCoordinator } from '../features/matrix/file-coordinator';
import type { MatrixStore } from '../features/matrix/matrix-store';
import type { ProblemsStore } from '../features/problems/problems-store';
import type { SendingStore } from '../features/sending/sending-store';
import type { SessionStore } from '../features/session/session-store';
import type { SettingsStore } from '../features/settings/settings-store';
import type { TransfersStore } from '../features/transfers/transfers-store';
import type { Platform } from '../platform/platform';

/** One store per concern, made once the main side answered; features reach theirs through hooks. */
export interface AppStores {
  readonly platform: Platform;
  readonly appInfo: AppInfo;
  readonly session: SessionStore;
  readonly transfers: TransfersStore;
  readonly settings: SettingsStore;
  readonly sending: SendingStore;
  readonly chooser: ChooserStore;
  /** The signed-in account's Matrix client: rooms, timelines, encryption. */
  readonly matrix: MatrixStore;
  /** Where files meet room events: posting, settling, auto-downloading. */
  readonly files: FileCoordinator;
  /** Problems to show that belong to no one view (an event that could not be posted, say). */
  readonly problems: ProblemsStore;
}

export const AppStoresContext = createContext<AppStores | null>(null);

export function useAppStores(): AppStores {
  const stores = useContext(AppStoresContext);
  if (!stores) throw new Error('useAppStores is used outside <AppStoresContext.Provider>');
  return stores;
}
