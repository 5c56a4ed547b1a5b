/**
 * The V8 options every Slipstream process that moves bulk data starts with: the CLI (in
 * bin/slipstream's first line, which a test keeps equal to this), the media server (scripts/stack,
 * docs/deploy.md), the browser host, and the desktop app's engine, which Electron's main process
 * starts as a utilityProcess with these as its `execArgv` (main/electron/engine-process.ts). V8 reads
 * them only when it creates the heap: `v8.setFlagsFromString` after start-up changes nothing
 * (measured), and Node refuses --initial-old-space-size in NODE_OPTIONS, so they belong on the
 * command line.
 *
 * - `--max-semi-space-size=2`: a small young generation. A transfer's socket reads and ciphertext
 *   buffers are external memory that force a young collection every 32 MiB; V8 otherwise grows the
 *   semi-spaces to 16 MiB and keeps them.
 * - `--initial-old-space-size=64`: a floor under the old generation's collection limit. With a live
 *   heap of 10–13 MB, V8 set that limit near 22–46 MB, and started a full mark-compact whenever the
 *   room left fell below the young generation's size: traced over one 1 GiB transfer, about 60 in the
 *   receiving engine, 35 in the sending one, 30 per GiB in the media server — 0 with both options.
 *   Alternated bench:e2e rounds: the two engines' CPU per GiB fell from 6.1–6.8 to 4.1–5.0 seconds
 *   (docs/benchmarks.md); peak RSS did not grow.
 *
 * The desktop app's main process runs without them: Electron starts it, and takes V8 options for it
 * only from its own command line. That is one reason the engine does not run there.
 */
export const SLIPSTREAM_NODE_FLAGS = ['--max-semi-space-size=2', '--initial-old-space-size=64'] as const;
