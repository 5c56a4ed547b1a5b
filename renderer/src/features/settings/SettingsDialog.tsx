import { type FormEvent, type ReactNode, useState } from 'react';
import type { Settings, Theme } from '../../../../shared/app/settings';
import { useAppStores } from '../../app/app-stores';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { messageOf } from '../../text/error-message';
import { shortPath } from '../../text/paths';
import { choosePaths } from '../file-chooser/choose-paths';
import { useHomeFolder } from '../file-chooser/use-home-folder';
import { formatChoices } from './format-choices';
import { NotificationsField } from './NotificationsField';
import { draftOf, patchFrom, type SettingsDraft, type SettingsProblem } from './settings-draft';
import { useSettings } from './use-settings';

interface NumberFieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly min: number;
  readonly max?: number;
  readonly hint: ReactNode;
  /** What is wrong with the value, shown under it and tied to it for screen readers. */
  readonly problem: string | undefined;
}

function NumberField({ id, label, value, onChange, min, max, hint, problem }: NumberFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        step={1}
        inputMode="numeric"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={problem !== undefined}
        aria-describedby={problem ? `${id}-hint ${id}-problem` : `${id}-hint`}
      />
      <small id={`${id}-hint`} className="hint">
        {hint}
      </small>
      {problem && (
        <p id={`${id}-problem`} className="field-problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

function SettingsForm({ settings, onClose }: { readonly settings: Settings; readonly onClose: () => void }) {
  const { platform, appInfo, chooser } = useAppStores();
  const update = useSettings((state) => state.update);
  const home = useHomeFolder();
  const [draft, setDraft] = useState<SettingsDraft>(() => draftOf(settings));
  const [problem, setProblem] = useState<SettingsProblem | null>(null);
  const [saving, setSaving] = useState(false);
  const change = (partial: Partial<SettingsDraft>) => {
    setDraft((current) => ({ ...current, ...partial }));
    // A problem lasts until what it is about is edited: it is no longer known to be true.
    setProblem((current) => (current && (current.field === null || current.field in partial) ? null : current));
  };
  const problemWith = (field: keyof SettingsDraft) => (problem?.field === field ? problem.message : undefined);

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
      setProblem({ field: 'downloadFolder', message: `The folder could not be chosen: ${messageOf(failure)}` });
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const patch = patchFrom(draft, settings);
    if ('message' in patch) return setProblem(patch);
    setSaving(true);
    setProblem(null);
    try {
      if (Object.keys(patch).length > 0) await update(patch);
      onClose();
    } catch (failure) {
      setProblem({ field: null, message: `The settings were not saved: ${messageOf(failure)}` });
    } finally {
      setSaving(false);
    }
  };

  const folderProblem = problemWith('downloadFolder');
  return (
    <form className="settings-form" onSubmit={(event) => void save(event)} noValidate>
      <fieldset className="settings-receiving">
        <legend>Receiving</legend>
        <div className="field">
          <label htmlFor="download-folder">Download folder</label>
          <div className="folder-row">
            {/* An <output>: the folder is chosen, never typed, and a change is announced. */}
            <output
              id="download-folder"
              className="folder-path"
              title={draft.downloadFolder}
              aria-describedby={folderProblem ? 'download-folder-problem' : undefined}
            >
              <span dir="ltr">{shortPath(draft.downloadFolder, home)}</span>
            </output>
            <button type="button" onClick={() => void changeFolder()} aria-label="Change the download folder">
              Change…
            </button>
          </div>
          {folderProblem && (
            <p id="download-folder-problem" className="field-problem" role="alert">
              {folderProblem}
            </p>
          )}
        </div>
        <NumberField
          id="auto-download"
          label="Download automatically up to (MB)"
          value={draft.autoDownloadMb}
          onChange={(autoDownloadMb) => change({ autoDownloadMb })}
          min={0}
          hint="Incoming files up to this size start downloading on their own; larger ones wait for you. 0 means never."
          problem={problemWith('autoDownloadMb')}
        />
        <div className="field field-check">
          <input
            id="keep-cancelled"
            type="checkbox"
            checked={draft.keepCancelledPartials}
            onChange={(event) => change({ keepCancelledPartials: event.target.checked })}
            aria-describedby="keep-cancelled-hint"
          />
          <label htmlFor="keep-cancelled">Keep what arrived when the sender cancels</label>
          <small id="keep-cancelled-hint" className="hint">
            Saved with “(incomplete)” in its name. Otherwise the part that arrived is deleted.
          </small>
        </div>
      </fieldset>
      <fieldset className="settings-transfers">
        <legend>Transfers</legend>
        <NumberField
          id="concurrent"
          label="Transfers at once"
          value={draft.maxConcurrentTransfers}
          onChange={(maxConcurrentTransfers) => change({ maxConcurrentTransfers })}
          min={1}
          max={8}
          hint="How many files move at the same time (1–8). The rest wait their turn."
          problem={problemWith('maxConcurrentTransfers')}
        />
        <div className="field field-check">
          <input
            id="direct-uploads"
            type="checkbox"
            checked={draft.directUploads}
            onChange={(event) => change({ directUploads: event.target.checked })}
            aria-describedby="direct-uploads-hint"
          />
          <label htmlFor="direct-uploads">Upload straight to the server’s storage</label>
          <small id="direct-uploads-hint" className="hint">
            Where your homeserver offers it. Nobody can download before your upload ends.
          </small>
        </div>
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
              aria-labelledby={`format-${choice.policy}-label`}
              aria-describedby={`format-${choice.policy}-explanation format-${choice.policy}-technical`}
            />
            <span className="choice-text">
              <span id={`format-${choice.policy}-label`} className="choice-label">
                {choice.label}
              </span>
              <small id={`format-${choice.policy}-explanation`} className="hint">
                {choice.explanation}
              </small>
              <small id={`format-${choice.policy}-technical`} className="technical">
                {choice.technical}
              </small>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset className="settings-appearance">
        <legend>Display and notifications</legend>
        <div className="field">
          <label htmlFor="theme">Theme</label>
          <select id="theme" value={draft.theme} onChange={(event) => change({ theme: event.target.value as Theme })}>
            <option value="system">Follow the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </div>
        {appInfo.host === 'browser' && <NotificationsField />}
      </fieldset>
      <details className="key-storage">
        <summary>Keys are stored encrypted on this computer</summary>
        <p>
          Your sign-in and the key of each transfer are sealed before they are written to disk:{' '}
          <code>{appInfo.secretStorage}</code>.
        </p>
      </details>
      {problem?.field === null && <ErrorNotice message={problem.message} />}
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
