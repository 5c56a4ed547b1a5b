/**
 * A failure the stack can explain in one plain sentence (`message`), with the detail that helps fixing
 * it (`detail`: a log tail, `nginx -t` output, pip's complaint) kept apart so the CLI prints both.
 */
export class StackError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}
