/** A failure the CLI reports as one plain line on stderr, with its exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit status for wrong usage, as most Unix tools use it. */
export const USAGE_EXIT = 2;
