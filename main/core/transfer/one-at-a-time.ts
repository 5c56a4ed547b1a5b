/**
 * Runs the tasks given for one key one after another, each once the one before has ended (however it
 * ended), so each sees what the one before left.
 */
export class OneAtATime {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every task given for `key` so far has ended. */
  async idle(key: string): Promise<void> {
    await this.tails.get(key);
  }
}
