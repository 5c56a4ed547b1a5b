import { readFile } from 'node:fs/promises';
import { stackPaths } from './paths.js';
import type { StackSettings } from './settings.js';

/** `.stack/stack.json`: everything a test or a tool needs to use the running stack. */
export interface StackInfo {
  /** nginx: what clients use. Media paths go to `mediaServerUrl`, everything else to Synapse. */
  readonly baseUrl: string;
  /** nginx in front of Synapse alone (its own media repository included), whatever `mediaBackend` is. */
  readonly synapseProxyUrl: string;
  /** Synapse's own listener, where `/_synapse/admin/v1/register` answers. */
  readonly synapseUrl: string;
  readonly serverName: string;
  readonly registrationSharedSecret: string;
  /** Who serves `/_matrix/media/*` and `/_matrix/client/v1/media/*` behind `baseUrl`. */
  readonly mediaBackend: 'slipstream' | 'synapse';
  /** The media server's own URL when it runs, else Synapse's. */
  readonly mediaServerUrl: string;
  readonly synapseVersion: string;
  /** Synapse's `max_pending_media_uploads` (per user). */
  readonly maxPendingMediaUploads: number;
  /** Persisted at the first `up`; `mediaServer` is reserved even while media goes to Synapse. */
  readonly ports: StackSettings['ports'];
  readonly pids: { readonly nginx: number; readonly synapse: number; readonly mediaServer?: number };
}

export async function readStackInfo(): Promise<StackInfo | undefined> {
  try {
    return JSON.parse(await readFile(stackPaths.stackJson, 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}
