import { beforeEach, describe, expect, it, vi } from 'vitest';
import { dialogHandlers } from './file-dialogs.js';
import { fakeElectron, FakeBrowserWindow } from './testing/fake-electron.js';

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

const showOpenDialog = fakeElectron.dialog.showOpenDialog;
beforeEach(() => showOpenDialog.mockReset());

describe('the system’s dialogs', () => {
  it('chooses any number of files, attached to the window', async () => {
    const window = new FakeBrowserWindow({});
    showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/alice/a.mp4', '/home/alice/b.glb'] });
    const paths = await dialogHandlers(() => window as never).chooseFiles({ title: 'Send to #films' });
    expect(paths).toEqual({ paths: ['/home/alice/a.mp4', '/home/alice/b.glb'] });
    expect(showOpenDialog).toHaveBeenCalledWith(window, {
      title: 'Send to #films',
      properties: ['openFile', 'multiSelections'],
    });
  });

  it('answers no files when the dialog is cancelled, and opens without a window when there is none', async () => {
    showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: ['/ignored'] });
    expect(await dialogHandlers(() => undefined).chooseFiles(undefined)).toEqual({ paths: [] });
    expect(showOpenDialog).toHaveBeenCalledWith({ title: 'Send files', properties: ['openFile', 'multiSelections'] });
  });

  it('chooses one folder, or null when cancelled', async () => {
    const handlers = dialogHandlers(() => undefined);
    showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/alice/Downloads'] });
    expect(await handlers.chooseFolder(undefined)).toEqual({ path: '/home/alice/Downloads' });
    expect(showOpenDialog).toHaveBeenLastCalledWith({
      title: 'Choose a folder',
      properties: ['openDirectory', 'createDirectory'],
    });
    showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await handlers.chooseFolder({ title: 'Save received files in' })).toEqual({ path: null });
  });
});
