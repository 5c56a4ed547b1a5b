import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this stack belongs to; everything the stack writes lives under `<repo>/.stack/`. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** SLIPSTREAM_STACK_DIR puts a stack elsewhere (a test of `clean` on a stack of its own). */
export const STACK_DIR = process.env['SLIPSTREAM_STACK_DIR'] ?? join(REPO_ROOT, '.stack');

export const stackPaths = {
  /** Choices made once and kept across `down`/`up`: ports, secrets (mode 0600). */
  settings: join(STACK_DIR, 'settings.json'),
  /** What is running now, for tests and tools (written by `up`, removed by `down`). */
  stackJson: join(STACK_DIR, 'stack.json'),
  /** Serialises concurrent `up`/`down` calls (several test files starting at once). */
  lock: join(STACK_DIR, 'stack.lock'),
  venv: join(STACK_DIR, 'venv'),
  synapseDir: join(STACK_DIR, 'synapse'),
  nginxDir: join(STACK_DIR, 'nginx'),
  mediaServerDir: join(STACK_DIR, 'media-server'),
} as const;
