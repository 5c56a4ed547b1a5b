import { CliError, USAGE_EXIT } from './cli-error.js';

/** All of standard input, without its final line break: `--password-stdin`. */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Asks for a password on the terminal without echoing it: standard input in raw mode, read a key at a
 * time (Backspace erases, Ctrl-C stops). Node has no getpass; readline would echo.
 */
export function promptPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    return Promise.reject(
      new CliError('there is no terminal to ask for the password on: pipe it in with --password-stdin', USAGE_EXIT),
    );
  }
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let password = '';
    const finish = (result: () => void) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n') return finish(() => resolve(password));
        if (character === '\u0003') return finish(() => reject(new CliError('interrupted', 130)));
        if (character === '\u007f' || character === '\b') password = [...password].slice(0, -1).join('');
        else if (character >= ' ') password += character;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
