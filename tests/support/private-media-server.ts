import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NGINX_TEMP_DIRS, stackNginxConfig } from '../../scripts/stack/nginx-config.js';
import { provisionNginx } from '../../scripts/stack/nginx.js';
import { pickFreePort } from '../../scripts/stack/ports.js';
import { answersOk } from '../../scripts/stack/processes.js';
import { parseConfig, type MediaServerConfigInput } from '../../server/config.js';
import { startMediaServer, type RunningMediaServer } from '../../server/media-server.js';
import { quietLogger } from '../../server/testing/harness.js';
import type { StackInfo } from './stack.js';

const run = promisify(execFile);

export interface PrivateMediaServer {
  /** The private nginx: what clients use, as `stack.baseUrl` for the shared one. */
  readonly stack: StackInfo;
  readonly server: RunningMediaServer;
  close(): Promise<void>;
}

/**
 * A media server of a test's own, with settings the shared stack must not have (a short body idle
 * timeout, authenticated media off, small limits), deployed as the stack's is: beside the stack's
 * Synapse, which checks its tokens and serves everything else, behind an nginx of its own running the
 * configuration docs/deploy.md gives admins (scripts/stack/nginx-config.ts). The returned `stack` is
 * the shared one with `baseUrl` pointing at that nginx, so MediaClient works unchanged.
 */
export async function startPrivateMediaServer(
  stack: StackInfo,
  overrides: Partial<MediaServerConfigInput>,
): Promise<PrivateMediaServer> {
  const nginx = await provisionNginx(() => {});
  const dir = await mkdtemp(join(tmpdir(), 'slipstream-private-media-'));
  const server = await startMediaServer(
    parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      serverName: stack.serverName,
      homeserverUrl: stack.synapseUrl,
      dataDir: join(dir, 'data'),
      ...overrides,
      limits: { createPerSecond: 1000, createBurst: 10_000, ...overrides.limits },
    }),
    { logger: quietLogger },
  );
  const nginxDir = join(dir, 'nginx');
  const nginxArgs = ['-p', `${nginxDir}/`, '-c', join(nginxDir, 'nginx.conf'), '-e', join(nginxDir, 'error.log')];
  const stopNginx = () => run(nginx, [...nginxArgs, '-s', 'stop']).catch(() => undefined);
  let nginxStarted = false;
  try {
    for (const temp of NGINX_TEMP_DIRS) await mkdir(join(nginxDir, 'temp', temp), { recursive: true });
    const port = await pickFreePort();
    await writeFile(
      join(nginxDir, 'nginx.conf'),
      stackNginxConfig({
        prefix: nginxDir,
        port,
        synapseOnlyPort: await pickFreePort(),
        synapsePort: stack.ports.synapse,
        mediaBackendPort: Number(new URL(server.url).port),
        ...(process.getuid?.() === 0 && { workerUser: userInfo().username }),
      }),
    );
    await run(nginx, nginxArgs);
    nginxStarted = true;
    const baseUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    // Any answer from Synapse through nginx proves the proxy path.
    while (!(await answersOk(`${baseUrl}/health`))) {
      if (Date.now() > deadline) throw new Error(`the private nginx did not answer on ${baseUrl}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      stack: { ...stack, baseUrl, mediaServerUrl: server.url },
      server,
      async close() {
        await stopNginx();
        await server.close(100);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (nginxStarted) await stopNginx();
    await server.close(100);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
