import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { stackPaths } from './paths.js';
import { pickFreePort } from './ports.js';

/** Choices made at the first `up` and kept, so URLs, secrets and registered users survive `down`/`up`. */
export interface StackSettings {
  readonly ports: {
    /** Synapse's own client listener. */
    readonly synapse: number;
    /** nginx, the address clients use (`baseUrl`). */
    readonly nginx: number;
    /** nginx in front of Synapse alone, its media repository included (`synapseProxyUrl`). */
    readonly synapseOnly: number;
    readonly mediaServer: number;
  };
  readonly registrationSharedSecret: string;
  readonly macaroonSecretKey: string;
  readonly formSecret: string;
}

const secret = (): string => randomBytes(32).toString('base64url');

/** The persisted settings, or undefined before the first `up`. */
export async function loadSettings(): Promise<StackSettings | undefined> {
  try {
    return JSON.parse(await readFile(stackPaths.settings, 'utf8')) as StackSettings;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function loadOrCreateSettings(): Promise<StackSettings> {
  const existing = await loadSettings();
  if (existing) return existing;
  const ports: number[] = [];
  while (ports.length < 4) {
    const port = await pickFreePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const [synapse, nginx, synapseOnly, mediaServer] = ports as [number, number, number, number];
  const settings: StackSettings = {
    ports: { synapse, nginx, synapseOnly, mediaServer },
    registrationSharedSecret: secret(),
    macaroonSecretKey: secret(),
    formSecret: secret(),
  };
  await writeFile(stackPaths.settings, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  return settings;
}
