import type { AppInfo, SlipstreamApi } from '../../../../shared/ipc-contract';
import type { ChooserMode, ChooserStore } from './chooser-store';

export interface PathChooser {
  readonly api: SlipstreamApi;
  readonly appInfo: AppInfo;
  readonly chooser: ChooserStore;
}

/**
 * Files or a folder, chosen the way this front end can: the system's dialog in Electron, the app's own
 * chooser in a browser (which has no dialog that yields paths). Null when the person cancelled.
 */
export async function choosePaths(
  { api, appInfo, chooser }: PathChooser,
  mode: ChooserMode,
  title: string,
  startAt?: string,
): Promise<string[] | null> {
  if (appInfo.fileChooser === 'host') return chooser.getState().choose(mode, title, startAt);
  if (mode === 'files') {
    const { paths } = await api.chooseFiles({ title });
    return paths.length > 0 ? paths : null;
  }
  const { path } = await api.chooseFolder({ title });
  return path === null ? null : [path];
}
