import { type FormEvent, useState } from 'react';
import type { Settings } from '../../../../shared/app/settings';
import { useAppStores } from '../../app/app-stores';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { messageOf } from '../../text/error-message';
import { choosePaths } from '../file-chooser/choose-paths';
import { formatChoices } from './format-choices';
import { draftOf, patchFrom, type SettingsDraft } from './settings-draft';
import { useSettings } from './use-settings';

function SettingsForm({ settings, onClose }: { readonly settings: Settings; readonly onClose: () => void }) {
  const { platform, appInfo, chooser } = useAppStores();
  const update = useSettings((state) => state.update);
  const [draft, setDraft] = useState<SettingsDraft>(() => draftOf(settings));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const change = (partial: Partial<SettingsDraft>) => setDraft((current) => ({ ...current, ...partial }));

  const changeFolder = async () => {
    try {
      const chosen = await choosePaths(
        { api: platform.api, appInfo, chooser },
        'folder',
        'Choose the download folder',
        draft.downloadFolder,
      );
      if (chosen?.[0]) change({ downloadFolder: chosen[0] });
    } catch (failure) {
      setError(`The folder could not be chosen: ${messageOf(failure)}`);
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const patch = patchFrom(draft, settings);
    if (typeof patch === 'string') return setError(patch);
    setSaving(true);
    setError(null);
    try {
      if (Object.keys(patch).length > 0) await update(patch);
      onClose();
    } catch (failure) {
      setError(`The settings were not saved: ${messageOf(failure)}`);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="settings-form" onSubmit={(event) => void save(event)} noValidate>
      <fieldset className="settings-receiving">
        <legend>Receiving</legend>
        <div className="field">
          <label htmlFor="download-folder">Download folder</label>
          <div className="folder-row">
            <input
              id="download-folder"
              type="text"
              readOnly
              value={draft.downloadFolder}
              title={draft.downloadFolder}
              className="path"
            />
            <button type="button" onClick={() => void changeFolder()} aria-label="Change the download folder">
              Change…
            </button>
          </div>
        </div>
        <label className="field">
          <span>Download automatically up to (MB)</span>
          <input
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={draft.autoDownloadMb}
            onChange={(event) => change({ autoDownloadMb: event.target.value })}
            aria-describedby="auto-download-hint"
          />
          <small id="auto-download-hint" className="hint">
            Incoming files up to this size start downloading on their own; larger ones wait for you. 0 means never.
          </small>
        </label>
      </fieldset>
      <fieldset className="settings-transfers">
        <legend>Transfers</legend>
        <label className="field">
          <span>Transfers at once</span>
          <input
            type="number"
            min={1}
            max={8}
            step={1}
            inputMode="numeric"
            value={draft.maxConcurrentTransfers}
            onChange={(event) => change({ maxConcurrentTransfers: event.target.value })}
            aria-describedby="concurrent-hint"
          />
          <small id="concurrent-hint" className="hint">
            From 1 to 8. The others wait as Queued and start as soon as one finishes.
          </small>
        </label>
      </fieldset>
      <fieldset className="format-choices">
        <legend>Format of the files you send</legend>
        {formatChoices(settings.compatibleFormatMaxBytes).map((choice) => (
          <label key={choice.policy} className="choice">
            <input
              type="radio"
              name="default-format"
              value={choice.policy}
              checked={draft.defaultFormat === choice.policy}
              onChange={() => change({ defaultFormat: choice.policy })}
              aria-describedby={`format-${choice.policy}-explanation`}
            />
            <span className="choice-text">
              <span className="choice-label">{choice.label}</span>
              <small id={`format-${choice.policy}-explanation`} className="hint">
                {choice.explanation}
              </small>
            </span>
          </label>
        ))}
      </fieldset>
      {error && <ErrorNotice message={error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

export function SettingsDialog({ onClose }: { readonly onClose: () => void }) {
  const settings = useSettings((state) => state.settings);
  const loadError = useSettings((state) => state.loadError);
  return (
    <Dialog title="Settings" onClose={onClose} className="settings">
      {settings ? (
        <SettingsForm settings={settings} onClose={onClose} />
      ) : (
        <>
          <ErrorNotice message={loadError ?? 'The settings are still loading.'} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
