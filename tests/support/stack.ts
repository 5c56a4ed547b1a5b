import { scaledStackUp } from '../../scripts/stack/scaled/scaled-stack.js';
import { stackUp } from '../../scripts/stack/stack.js';
import type { StackInfo } from '../../scripts/stack/stack-info.js';

export type { StackInfo } from '../../scripts/stack/stack-info.js';

let stackOnce: Promise<StackInfo> | undefined;

/**
 * Brings the local stack up (or finds it running) and returns `.stack/stack.json`. Call it in each
 * test file's `beforeAll`: within a worker it runs once; across workers the stack's lock file makes the
 * first caller provision and start while the others wait and then find it running. The stack is left
 * running after the tests, so the next run starts in a second.
 */
export function ensureStack(): Promise<StackInfo> {
  const log = (line: string): void => console.error(`stack: ${line}`);
  // SLIPSTREAM_STACK_SCALE=N runs the same tests against the scaled stack (`npm run stack -- up --scale N`):
  // several media-server instances behind nginx, sharing the object store and PostgreSQL.
  const scale = process.env.SLIPSTREAM_STACK_SCALE;
  stackOnce ??= (scale ? scaledStackUp(log, Number(scale)) : stackUp(log)).catch((error: unknown) => {
    stackOnce = undefined;
    throw error;
  });
  return stackOnce;
}

// Registration lives with the stack's scripts, which the demo and the benchmarks use too.
export { type MatrixUser, registerUser } from '../../scripts/stack/users.js';
