import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The project virtualenv's Python (made by scripts/setup.sh), where the interop oracle's
 * `cryptography` dependency is installed; a system python3 that has it also works.
 */
export function pythonWithCryptography(): string {
  const candidates = [`${repoRoot}.venv/bin/python3`, 'python3'];
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue;
    const probe = spawnSync(python, ['-c', 'import cryptography'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  throw new Error('no Python with the "cryptography" package: run scripts/setup.sh (it creates .venv)');
}

export const referenceScript = `${repoRoot}tests/interop/msc4016_reference.py`;

/** Runs the independent Python implementation; returns its exit code and stderr. */
export function runReference(args: string[]): { status: number; stderr: string } {
  const result = spawnSync(pythonWithCryptography(), [referenceScript, ...args], { encoding: 'utf8' });
  return { status: result.status ?? -1, stderr: result.stderr };
}

export function runReferenceOrThrow(args: string[]): void {
  execFileSync(pythonWithCryptography(), [referenceScript, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}
