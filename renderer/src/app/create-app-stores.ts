import { createChooserStore } from '../features/file-chooser/chooser-store';
import { createFileCoordinator, type FileCoordinator } from '../features/matrix/file-coordinator';
import { createMatrixStore } from '../features/matrix/matrix-store';
import { createProblemsStore } from '../features/problems/problems-store';
import { applyTheme } from './theme';
import { watchForNotifications } from '../features/transfers/browser-notifications';
import { createSendingStore } from '../features/sending/sending-store';
import { createSessionStore } from '../features/session/session-store';
import { createSettingsStore } from '../features/settings/settings-store';
import { createSentMediaDetails } from '../features/thumbnails/sent-media-details';
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
  const matrix = createMatrixStore();
  // The coordinator needs the transfers store and the store its hook: the hook reaches it once made.
  const late: { coordinator?: FileCoordinator } = {};
  const transfers = createTransfersStore(api, {
    beforeForget: (id) => late.coordinator?.beforeForget(id) ?? Promise.resolve(),
  });
  const settings = createSettingsStore(api);
  const problems = createProblemsStore();
  const files = createFileCoordinator({
    api,
    matrix,
    transfers,
    settings,
    report: problems.getState().report,
    mediaDetails: createSentMediaDetails({ mediaBaseUrl: appInfo.mediaBaseUrl }),
  });
  late.coordinator = files;
  const session = createSessionStore(api, { onSigningOut: (signedIn) => matrix.getState().stop(signedIn) });
  const stores: AppStores = {
    platform,
    appInfo,
    session,
    transfers,
    settings,
    sending: createSendingStore({
      api,
      appInfo,
      chooser,
      announce: files.announce,
      ...(platform.pathForFile && { pathForFile: platform.pathForFile }),
    }),
    chooser,
    matrix,
    files,
    problems,
  };
  // The Matrix client runs while someone is signed in (a new sign-in starts a new one).
  let started: string | null = null;
  const follow = () => {
    const { phase, session: current, fresh } = session.getState();
    if (phase === 'signedIn' && current && started !== current.accessToken) {
      started = current.accessToken;
      void matrix.getState().start(current, fresh);
    } else if (phase === 'signedOut' && started !== null) {
      started = null;
      void matrix.getState().stop();
    }
  };
  session.subscribe(follow);
  // Electron's main notifies through the system; in a browser the page does.
  if (appInfo.host === 'browser') watchForNotifications(transfers);
  // The Theme setting applies as soon as it is known, and whenever it changes.
  const paintTheme = () => applyTheme(settings.getState().settings?.theme ?? 'system');
  settings.subscribe(paintTheme);
  await Promise.all([
    stores.session.getState().load(),
    stores.transfers.getState().load(),
    stores.settings.getState().load(),
    stores.sending.getState().start(),
  ]);
  follow();
  paintTheme();
  platform.onReconnected(() => {
    void stores.transfers.getState().load();
    void stores.settings.getState().load();
    // Files handed to the host while the page was away wait for it to ask again.
    void stores.sending.getState().start();
  });
  return stores;
}
