import { type BaseWindow, dialog, type OpenDialogOptions } from 'electron';
import type { AppRequest, AppResponse } from '../../shared/ipc-contract.js';

type DialogChannel = 'chooseFiles' | 'chooseFolder';
export type DialogHandlers = { readonly [N in DialogChannel]: (request: AppRequest<N>) => Promise<AppResponse<N>> };

/**
 * The system's file and folder dialogs: the two app channels only Electron's main process can answer
 * (the engine host answers the rest). Attached to the window when there is one, so they open as its
 * sheet on macOS and stay in front of it elsewhere.
 */
export function dialogHandlers(parentWindow: () => BaseWindow | undefined): DialogHandlers {
  const open = (options: OpenDialogOptions) => {
    const window = parentWindow();
    return window ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options);
  };
  return {
    chooseFiles: async (request) => {
      const result = await open({ title: request?.title ?? 'Send files', properties: ['openFile', 'multiSelections'] });
      return { paths: result.canceled ? [] : result.filePaths };
    },
    chooseFolder: async (request) => {
      const result = await open({
        title: request?.title ?? 'Choose a folder',
        properties: ['openDirectory', 'createDirectory'],
      });
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
  };
}
