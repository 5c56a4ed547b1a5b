import { mkdir, rm, writeFile } from 'node:fs/promises';
import { withLock } from './lock.js';
import {
  isMediaServerAvailable,
  isMediaServerCodeStale,
  isMediaServerHealthy,
  mediaServerPid,
  mediaServerUrl,
  startMediaServer,
  stopMediaServer,
} from './media-server.js';
import { configureNginx, nginxPid, nginxUrl, provisionNginx, startNginx, stopNginx } from './nginx.js';
import { STACK_DIR, stackPaths } from './paths.js';
import { assertPortFree } from './ports.js';
import { loadOrCreateSettings, loadSettings } from './settings.js';
import { type StackInfo } from './stack-info.js';
import {
  configureSynapse,
  isSynapseHealthy,
  provisionSynapse,
  startSynapse,
  stopSynapse,
  synapsePid,
  synapseUrl,
} from './synapse.js';
import { MAX_PENDING_MEDIA_UPLOADS, SERVER_NAME, SYNAPSE_VERSION } from './synapse-config.js';

export type Log = (line: string) => void;

export interface StackUpOptions {
  /**
   * Restart a media server started from other code than the checkout's (`npm run stack -- up` and the
   * benchmark do). Tests only warn: another test file of the same run may be using that server.
   */
  readonly restartStaleMediaServer?: boolean;
}

/**
 * Provisions what is missing and starts what is not running: Synapse, the media server (when this
 * checkout has one), then nginx in front. Idempotent: with everything up it only checks health (and,
 * with `restartStaleMediaServer`, restarts a media server whose code changed).
 */
export async function stackUp(log: Log, options: StackUpOptions = {}): Promise<StackInfo> {
  await mkdir(STACK_DIR, { recursive: true });
  return withLock(stackPaths.lock, async () => {
    const settings = await loadOrCreateSettings();
    const { ports } = settings;

    await provisionSynapse(log);
    const nginx = await provisionNginx(log);

    const configChanged = await configureSynapse({
      port: ports.synapse,
      publicBaseUrl: nginxUrl(ports.nginx),
      registrationSharedSecret: settings.registrationSharedSecret,
      macaroonSecretKey: settings.macaroonSecretKey,
      formSecret: settings.formSecret,
    });
    let synapse = await synapsePid();
    if (synapse !== undefined && configChanged) {
      log(`Synapse's configuration changed: restarting it`);
      await stopSynapse();
      synapse = undefined;
    } else if (synapse !== undefined && !(await isSynapseHealthy(ports.synapse))) {
      log(`Synapse (pid ${synapse}) is not answering: restarting it`);
      await stopSynapse();
      synapse = undefined;
    }
    if (synapse === undefined) {
      await assertPortFree(ports.synapse, 'Synapse');
      log(`starting Synapse ${SYNAPSE_VERSION} on ${synapseUrl(ports.synapse)}`);
      synapse = await startSynapse(ports.synapse);
    }

    let mediaServer: number | undefined;
    if (await isMediaServerAvailable()) {
      mediaServer = await mediaServerPid();
      if (mediaServer !== undefined && !(await isMediaServerHealthy(ports.mediaServer))) {
        log(`the media server (pid ${mediaServer}) is not answering: restarting it`);
        await stopMediaServer();
        mediaServer = undefined;
      } else if (mediaServer !== undefined && (await isMediaServerCodeStale())) {
        if (options.restartStaleMediaServer) {
          // Only the media server restarts (about a second); Synapse, nginx and their clients stay up.
          log(`the media server's code changed since it started (pid ${mediaServer}): restarting it`);
          await stopMediaServer();
          mediaServer = undefined;
        } else {
          log(`the media server (pid ${mediaServer}) runs older code; \`npm run stack -- up\` restarts it`);
        }
      }
      if (mediaServer === undefined) {
        await assertPortFree(ports.mediaServer, 'the media server');
        log(`starting the media server on ${mediaServerUrl(ports.mediaServer)}`);
        mediaServer = await startMediaServer({
          port: ports.mediaServer,
          homeserverUrl: synapseUrl(ports.synapse),
          serverName: SERVER_NAME,
        });
      }
    } else if ((await mediaServerPid()) !== undefined) {
      log('stopping the media server: media is routed to Synapse');
      await stopMediaServer();
    }

    const running = await nginxPid();
    const changed = await configureNginx(nginx, {
      port: ports.nginx,
      synapseOnlyPort: ports.synapseOnly,
      synapsePort: ports.synapse,
      mediaBackendPort: mediaServer !== undefined ? ports.mediaServer : ports.synapse,
    });
    let nginxProcess = running;
    if (running === undefined || changed) {
      if (running === undefined) {
        await assertPortFree(ports.nginx, 'nginx');
        await assertPortFree(ports.synapseOnly, 'nginx (Synapse-only)');
      }
      log(`${running === undefined ? 'starting' : 'reloading'} nginx on ${nginxUrl(ports.nginx)}`);
      nginxProcess = await startNginx(nginx, ports.nginx);
    }
    if (nginxProcess === undefined) throw new Error('unreachable: nginx has no pid after starting');

    const info: StackInfo = {
      baseUrl: nginxUrl(ports.nginx),
      synapseProxyUrl: nginxUrl(ports.synapseOnly),
      synapseUrl: synapseUrl(ports.synapse),
      serverName: SERVER_NAME,
      registrationSharedSecret: settings.registrationSharedSecret,
      mediaBackend: mediaServer !== undefined ? 'slipstream' : 'synapse',
      mediaServerUrl: mediaServer !== undefined ? mediaServerUrl(ports.mediaServer) : synapseUrl(ports.synapse),
      synapseVersion: SYNAPSE_VERSION,
      maxPendingMediaUploads: MAX_PENDING_MEDIA_UPLOADS,
      ports,
      pids: { nginx: nginxProcess, synapse, ...(mediaServer !== undefined && { mediaServer }) },
    };
    await writeFile(stackPaths.stackJson, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    return info;
  });
}

/** Stops nginx, the media server and Synapse by their pid files; stale or missing ones are fine. */
export async function stackDown(log: Log): Promise<void> {
  await mkdir(STACK_DIR, { recursive: true });
  await withLock(stackPaths.lock, async () => {
    await rm(stackPaths.stackJson, { force: true });
    for (const [name, stop] of [
      ['nginx', stopNginx],
      ['the media server', stopMediaServer],
      ['Synapse', stopSynapse],
    ] as const) {
      const pid = await stop();
      if (pid !== undefined) log(`stopped ${name} (pid ${pid})`);
    }
  });
}

export interface ComponentStatus {
  readonly name: string;
  readonly pid: number | undefined;
  readonly healthy: boolean;
  readonly url: string | undefined;
}

/** What runs now, read from pid files and health checks (never from stack.json alone). */
export async function stackStatus(): Promise<ComponentStatus[]> {
  const settings = await loadSettings();
  const ports = settings?.ports;
  const synapse = await synapsePid();
  const nginx = await nginxPid();
  const media = await mediaServerPid();
  return [
    {
      name: 'Synapse',
      pid: synapse,
      healthy: !!ports && synapse !== undefined && (await isSynapseHealthy(ports.synapse)),
      url: ports && synapseUrl(ports.synapse),
    },
    {
      name: 'media server',
      pid: media,
      healthy: !!ports && media !== undefined && (await isMediaServerHealthy(ports.mediaServer)),
      url: ports && media !== undefined ? mediaServerUrl(ports.mediaServer) : undefined,
    },
    {
      name: 'nginx',
      pid: nginx,
      healthy: !!ports && nginx !== undefined,
      url: ports && nginxUrl(ports.nginx),
    },
  ];
}
