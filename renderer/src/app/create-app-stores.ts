import { createChooserStore } from '../features/file-chooser/chooser-store';
import { createSendingStore } from '../features/sending/sending-store';
import { createSessionStore } from '../features/session/session-store';
import { createSettingsStore } from '../features/settings/settings-store';
import { createTransfersStore } from '../features/transfers/transfers-store';
import type { Platform } from '../platform/platform';
import type { AppStores } from './app-stores';

/**
 * Asks the main side who it is, makes the stores and loads what they show. Listeners are attached before
 * the first reads, so no update falls between a read and its subscription.
 */
export async function createAppStores(platform: Platform): Promise<AppStores> {
  const { api } = platform;
  const appInfo = await api.appInfo();
  const chooser = createChooserStore(api);
  const stores: AppStores = {
    platform,
    appInfo,
    session: createSessionStore(api),
    transfers: createTransfersStore(api),
    settings: createSettingsStore(api),
    sending: createSendingStore({
      api,
      appInfo,
      chooser,
      ...(platform.pathForFile && { pathForFile: platform.pathForFile }),
    }),
    chooser,
  };
  await Promise.all([
    stores.session.getState().load(),
    stores.transfers.getState().load(),
    stores.settings.getState().load(),
    stores.sending.getState().start(),
  ]);
  platform.onReconnected(() => {
    void stores.transfers.getState().load();
    void stores.settings.getState().load();
    // Files handed to the host while the page was away wait for it to ask again.
    void stores.sending.getState().start();
  });
  return stores;
}
