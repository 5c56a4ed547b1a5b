import type { ContractApi } from '../../../shared/ipc/contract-kit.js';
import type { PathUse } from '../app/path-policy.js';
import type { EngineHostContract } from './engine-host-contract.js';

/**
 * Main's record of the paths the person chose (dialogs, drops, files opened with the app), each for its
 * use, which the renderer may then have sent or saved into. Each is passed to the engine host as it is
 * granted — on the same port as the calls that follow, so it arrives first — and all of them again to
 * an engine host started after a crash, which begins knowing none.
 */
export class PathGrants {
  private readonly paths: Record<PathUse, Set<string>> = { send: new Set(), save: new Set() };
  private engine: ContractApi<EngineHostContract> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  grant(paths: readonly string[], use: PathUse): void {
    const fresh = paths.filter((path) => !this.paths[use].has(path));
    for (const path of fresh) this.paths[use].add(path);
    if (fresh.length > 0 && this.engine) this.send(this.engine, fresh, use);
  }

  /** A new engine host: it is told every grant so far. */
  attach(engine: ContractApi<EngineHostContract>): void {
    this.engine = engine;
    for (const use of ['send', 'save'] as const) {
      if (this.paths[use].size > 0) this.send(engine, [...this.paths[use]], use);
    }
  }

  private send(engine: ContractApi<EngineHostContract>, paths: string[], use: PathUse): void {
    engine
      .grantPaths({ paths, use })
      .catch((error: unknown) => this.log(`could not pass on chosen paths: ${(error as Error).message}`));
  }
}
