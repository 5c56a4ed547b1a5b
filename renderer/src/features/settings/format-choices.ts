import type { FormatPolicy } from '../../../../shared/app/settings';
import { formatBytes } from '../../text/quantities';

export interface FormatChoice {
  readonly policy: FormatPolicy;
  readonly label: string;
  readonly explanation: string;
}

/** The three policies of shared/app/settings.ts (`formatPolicySchema`), in words for the settings. */
export function formatChoices(compatibleMaxBytes: number): FormatChoice[] {
  const limit = formatBytes(compatibleMaxBytes);
  return [
    {
      policy: 'auto',
      label: `Automatic: compatible up to ${limit}, streaming above (recommended)`,
      explanation: `Files up to ${limit} (what a stock homeserver accepts from any client) open in every Matrix app; larger ones, which other apps cannot stream and many cannot even load, stream while they upload.`,
    },
    {
      policy: 'v3',
      label: 'Streaming for every file (MSC4016 v3)',
      explanation:
        'Recipients can play and download while the upload is still running, but only apps that support MSC4016, such as Slipstream, can open these files.',
    },
    {
      policy: 'v2',
      label: 'Compatible for every file (Matrix v2)',
      explanation:
        'Every Matrix app can open them. Nothing streams: each file is read once before it is announced, and recipients wait for the whole upload.',
    },
  ];
}
