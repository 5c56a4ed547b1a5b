import { useState } from 'react';
import type { FormatPolicy } from '../../../../shared/app/settings';
import { messageOf } from '../../text/error-message';
import { formatChoices } from '../settings/format-choices';
import { useSettings } from '../settings/use-settings';

/** This room's file format: the default from Settings, or one of the three policies for this room only. */
export function RoomFormatSelect({ roomId }: { readonly roomId: string }) {
  const settings = useSettings((state) => state.settings);
  const update = useSettings((state) => state.update);
  const [problem, setProblem] = useState<string | null>(null);
  if (!settings) return null;
  const choices = formatChoices(settings.compatibleFormatMaxBytes);
  const current = settings.roomFormats[roomId] ?? 'default';
  const defaultLabel =
    choices.find((choice) => choice.policy === settings.defaultFormat)?.label ?? settings.defaultFormat;
  const change = async (value: string) => {
    setProblem(null);
    try {
      await update({ roomFormats: { [roomId]: value === 'default' ? null : (value as FormatPolicy) } });
    } catch (error) {
      setProblem(`The format could not be changed: ${messageOf(error)}`);
    }
  };
  return (
    <div className="room-format">
      <label htmlFor={`room-format-${roomId}`}>Files sent here</label>
      <select id={`room-format-${roomId}`} value={current} onChange={(event) => void change(event.target.value)}>
        <option value="default">As in Settings ({defaultLabel.replace(' (recommended)', '')})</option>
        {choices.map((choice) => (
          <option key={choice.policy} value={choice.policy} title={choice.explanation}>
            {choice.label.replace(' (recommended)', '')}
          </option>
        ))}
      </select>
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
