import type { FormatPolicy, Settings, SettingsPatch, Theme } from '../../../../shared/app/settings';
import { BYTES_PER_MB } from '../../text/quantities';

/** The settings form as typed: numbers stay text until saved, so a half-typed value is not refused mid-edit. */
export interface SettingsDraft {
  readonly downloadFolder: string;
  readonly autoDownloadMb: string;
  readonly maxConcurrentTransfers: string;
  readonly defaultFormat: FormatPolicy;
  readonly keepCancelledPartials: boolean;
  readonly directUploads: boolean;
  readonly theme: Theme;
}

export function draftOf(settings: Settings): SettingsDraft {
  return {
    downloadFolder: settings.downloadFolder,
    autoDownloadMb: String(Math.round((settings.autoDownloadMaxBytes / BYTES_PER_MB) * 10) / 10),
    maxConcurrentTransfers: String(settings.maxConcurrentTransfers),
    defaultFormat: settings.defaultFormat,
    keepCancelledPartials: settings.keepCancelledPartials,
    directUploads: settings.directUploads,
    theme: settings.theme,
  };
}

/** Something wrong with the settings, in a sentence, and the field it is about (none: the whole form). */
export interface SettingsProblem {
  readonly field: keyof SettingsDraft | null;
  readonly message: string;
}

/** What changed, or what is not right and where. */
export function patchFrom(draft: SettingsDraft, current: Settings): SettingsPatch | SettingsProblem {
  const megabytes = Number(draft.autoDownloadMb.trim());
  if (draft.autoDownloadMb.trim() === '' || !Number.isFinite(megabytes) || megabytes < 0) {
    return {
      field: 'autoDownloadMb',
      message: 'The automatic download limit must be a number of megabytes, 0 or more (0 means never).',
    };
  }
  const concurrent = Number(draft.maxConcurrentTransfers.trim());
  if (!Number.isInteger(concurrent) || concurrent < 1 || concurrent > 8) {
    return { field: 'maxConcurrentTransfers', message: 'Transfers at once must be a whole number from 1 to 8.' };
  }
  const autoDownloadMaxBytes = Math.round(megabytes * BYTES_PER_MB);
  return {
    ...(draft.downloadFolder !== current.downloadFolder && { downloadFolder: draft.downloadFolder }),
    ...(autoDownloadMaxBytes !== current.autoDownloadMaxBytes &&
      draftOf(current).autoDownloadMb !== draft.autoDownloadMb && { autoDownloadMaxBytes }),
    ...(concurrent !== current.maxConcurrentTransfers && { maxConcurrentTransfers: concurrent }),
    ...(draft.defaultFormat !== current.defaultFormat && { defaultFormat: draft.defaultFormat }),
    ...(draft.keepCancelledPartials !== current.keepCancelledPartials && {
      keepCancelledPartials: draft.keepCancelledPartials,
    }),
    ...(draft.directUploads !== current.directUploads && { directUploads: draft.directUploads }),
    ...(draft.theme !== current.theme && { theme: draft.theme }),
  };
}
