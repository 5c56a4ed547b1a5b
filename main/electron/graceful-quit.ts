import type { App } from 'electron';

/**
 * Quitting waits for `beforeQuit` — the engine stops every transfer where it is (each resumes at the
 * next start) and the window's place is written — then quits for real. Quitting again meanwhile (a
 * second Cmd+Q, the last window closing) waits for the same stop rather than starting another.
 */
export function quitGracefully(
  app: Pick<App, 'on' | 'quit'>,
  beforeQuit: () => Promise<unknown>,
  log: (line: string) => void,
): void {
  let state: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('before-quit', (event) => {
    if (state === 'stopped') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    void beforeQuit()
      .catch((error: unknown) => log(`quitting without a clean stop: ${(error as Error).message}`))
      .finally(() => {
        state = 'stopped';
        app.quit();
      });
  });
}
