import { describe, expect, it, vi } from 'vitest';
import { applicationMenuTemplate, installApplicationMenu } from './application-menu.js';
import { fakeElectron } from './testing/fake-electron.js';

/** Electron's MenuItemConstructorOptions, named without importing electron in a test. */
type MenuItemConstructorOptions = ReturnType<typeof applicationMenuTemplate>[number];

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

const options = (platform: NodeJS.Platform, developer = false) => ({
  appName: 'Slipstream',
  platform,
  developer,
  onSendFiles: vi.fn(),
  onShowDataFolder: vi.fn(),
});

const labels = (template: MenuItemConstructorOptions[]) => template.map((item) => item.label ?? item.role);
const items = (menu: MenuItemConstructorOptions | undefined) => (menu?.submenu ?? []) as MenuItemConstructorOptions[];
const roles = (menu: MenuItemConstructorOptions | undefined) =>
  items(menu).map((item) => item.role ?? item.label ?? item.type);

describe('the application menu', () => {
  it('has File, Edit, View, Window and Help, and on macOS the app menu first', () => {
    expect(labels(applicationMenuTemplate(options('linux')))).toEqual([
      'File',
      'editMenu',
      'View',
      'windowMenu',
      'help',
    ]);
    const mac = applicationMenuTemplate(options('darwin'));
    expect(labels(mac)).toEqual(['Slipstream', 'File', 'editMenu', 'View', 'windowMenu', 'help']);
    expect(roles(mac[0])).toEqual([
      'about',
      'separator',
      'services',
      'separator',
      'hide',
      'hideOthers',
      'unhide',
      'separator',
      'quit',
    ]);
  });

  it('sends files from File › Send Files… (Cmd/Ctrl+O), and quits from File where there is no app menu', () => {
    const linux = options('linux');
    const file = applicationMenuTemplate(linux)[0];
    const send = items(file)[0]!;
    expect(send).toMatchObject({ label: 'Send Files…', accelerator: 'CmdOrCtrl+O' });
    send.click?.({} as never, undefined, {} as never);
    expect(linux.onSendFiles).toHaveBeenCalledOnce();
    expect(roles(file).at(-1)).toBe('quit');
    expect(roles(applicationMenuTemplate(options('darwin'))[1]).at(-1)).toBe('close');
  });

  it('offers reload and the developer tools only to an unpackaged app', () => {
    const view = (developer: boolean) => roles(applicationMenuTemplate(options('linux', developer))[2]);
    expect(view(false)).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen']);
    expect(view(true).slice(0, 3)).toEqual(['reload', 'forceReload', 'toggleDevTools']);
  });

  it('shows the data folder from Help, with About there where there is no app menu', () => {
    const linux = options('linux');
    const help = applicationMenuTemplate(linux).at(-1);
    expect(roles(help)).toEqual(['Show Data Folder', 'separator', 'about']);
    items(help)[0]!.click?.({} as never, undefined, {} as never);
    expect(linux.onShowDataFolder).toHaveBeenCalledOnce();
    expect(roles(applicationMenuTemplate(options('darwin')).at(-1))).toEqual(['Show Data Folder']);
  });

  it('is installed as the application menu', () => {
    installApplicationMenu(options('win32'));
    expect(fakeElectron.Menu.setApplicationMenu).toHaveBeenCalledWith({
      template: applicationMenuTemplate(options('win32')).map(() => expect.anything()),
    });
  });
});
