import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  applySettingsPatch,
  defaultSettings,
  type Settings,
  type SettingsPatch,
  settingsSchema,
} from '../../../shared/app/settings.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { writeFileAtomic } from '../state/durable-file.js';

/**
 * The app's settings, one JSON file in its data directory, replaced atomically. A file that is damaged
 * or from an incompatible version is kept aside (`settings.json.damaged`) and the defaults are used, so
 * a bad file never stops the app from starting.
 */
export class SettingsStore {
  private listeners = new Set<(settings: Settings) => void>();
  private updating: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private settings: Settings,
  ) {}

  static async open(path: string, defaultDownloadFolder: string, log: (line: string) => void = () => undefined) {
    const defaults = defaultSettings(defaultDownloadFolder);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) return new SettingsStore(path, defaults);
    try {
      // Settings added since the file was written take their defaults.
      return new SettingsStore(path, settingsSchema.parse({ ...defaults, ...JSON.parse(text) }));
    } catch (error) {
      log(
        `the settings in ${path} cannot be read (${(error as Error).message.split('\n')[0]}); using the defaults and keeping the file as ${path}.damaged`,
      );
      await rename(path, `${path}.damaged`).catch(() => undefined);
      return new SettingsStore(path, defaults);
    }
  }

  get(): Settings {
    return this.settings;
  }

  /**
   * Applies a change after checking what the schema cannot (the download folder exists and can be
   * written). Changes are applied one after another, each to the settings the last one left, so two
   * windows changing different settings at once both keep theirs.
   */
  update(patch: SettingsPatch): Promise<Settings> {
    const applying = this.updating.then(async () => {
      if (patch.downloadFolder !== undefined) await assertWritableFolder(patch.downloadFolder);
      const next = settingsSchema.parse(applySettingsPatch(this.settings, patch));
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`);
      this.settings = next;
      for (const listener of this.listeners) listener(next);
      return next;
    });
    this.updating = applying.catch(() => undefined);
    return applying;
  }

  subscribe(listener: (settings: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

async function assertWritableFolder(path: string): Promise<void> {
  try {
    if (!(await stat(path)).isDirectory()) throw new IpcError('FOLDER_UNUSABLE', `${path} is not a folder`);
    await access(path, constants.W_OK);
  } catch (error) {
    if (error instanceof IpcError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new IpcError(
      'FOLDER_UNUSABLE',
      code === 'ENOENT'
        ? `${path} does not exist`
        : `Slipstream cannot save files into ${path} (${code === 'EACCES' ? 'permission denied' : code})`,
    );
  }
}
