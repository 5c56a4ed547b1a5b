import { build } from 'esbuild';

/**
 * Bundles a benchmark's child processes into `outdir` as plain JavaScript, as the app's own processes
 * run, rather than through the TypeScript loader (which would add its own thread and memory to what is
 * measured). Native modules load from node_modules; the banner gives each bundle a `require` for them
 * (renamed, so a bundle's own import of createRequire does not collide with it).
 */
export async function bundlePeers(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  await build({
    entryPoints,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir,
    external: ['@node-rs/crc32'],
    banner: {
      js: "import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}
