import type { FormatPolicy } from '../../../../shared/app/settings';
import { formatBytes } from '../../text/quantities';

export interface FormatChoice {
  readonly policy: FormatPolicy;
  readonly label: string;
  /** What it means for the people who receive the files, in their words. */
  readonly explanation: string;
  /** The formats' own names, for those who know them (shown small). */
  readonly technical: string;
}

/** The three policies of shared/app/settings.ts (`formatPolicySchema`), in words for the settings. */
export function formatChoices(compatibleMaxBytes: number): FormatChoice[] {
  const limit = formatBytes(compatibleMaxBytes);
  return [
    {
      policy: 'auto',
      label: 'Automatic (recommended)',
      explanation: `Files up to ${limit} work in every Matrix app. Bigger files stream: people can start downloading before your upload finishes, in Slipstream or another app that supports streaming.`,
      technical: `Matrix v2 attachments up to ${limit}, MSC4016 v3 above`,
    },
    {
      policy: 'v3',
      label: 'Always stream',
      explanation:
        'People can start downloading straight away, but only apps that support streaming (such as Slipstream) can open these files.',
      technical: 'MSC4016 v3 for every file',
    },
    {
      policy: 'v2',
      label: 'Always compatible',
      explanation:
        'Works in every Matrix app, but people wait for the whole upload, and each file is read once before it is announced.',
      technical: 'Matrix v2 attachments for every file',
    },
  ];
}
