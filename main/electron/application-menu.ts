import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface ApplicationMenuOptions {
  readonly appName: string;
  readonly platform: NodeJS.Platform;
  /** Reload and the developer tools, for an unpackaged app only. */
  readonly developer: boolean;
  /** File › Send Files…: the system's file dialog, whose files go to the renderer as `filesOpened`. */
  readonly onSendFiles: () => void;
  /** Help › Show Data Folder: where the transfer records and logs are, for a support question. */
  readonly onShowDataFolder: () => void;
}

const separator: MenuItemConstructorOptions = { type: 'separator' };

/**
 * The menu bar with the usual roles, so the platform supplies their labels, shortcuts and behaviour
 * (copy and paste in text fields, full screen, the macOS window list): the app menu on macOS, File,
 * Edit, View, Window and Help.
 */
export function applicationMenuTemplate(options: ApplicationMenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const appMenu: MenuItemConstructorOptions[] = [
    {
      label: options.appName,
      submenu: [
        { role: 'about' },
        separator,
        { role: 'services' },
        separator,
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        separator,
        { role: 'quit' },
      ],
    },
  ];
  const developerItems: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    { role: 'forceReload' },
    { role: 'toggleDevTools' },
    separator,
  ];
  const aboutItems: MenuItemConstructorOptions[] = [separator, { role: 'about' }];
  return [
    ...(mac ? appMenu : []),
    {
      label: 'File',
      submenu: [
        { label: 'Send Files…', accelerator: 'CmdOrCtrl+O', click: () => options.onSendFiles() },
        separator,
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...(options.developer ? developerItems : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        separator,
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      // On macOS, About is in the app menu.
      submenu: [{ label: 'Show Data Folder', click: () => options.onShowDataFolder() }, ...(mac ? [] : aboutItems)],
    },
  ];
}

export function installApplicationMenu(options: ApplicationMenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenuTemplate(options)));
}
