import { MediaRepositoryClient } from './media-repository-client.js';
import { TransferError } from './transfer-error.js';

export interface MediaAccess {
  readonly homeserverUrl: string;
  readonly accessToken: string;
}

/** A homeserver's URL as the engine keys it: no trailing slash. */
export function normalise(homeserverUrl: string): string {
  return homeserverUrl.replace(/\/+$/, '');
}

/**
 * The access token the front end gave for each homeserver (kept in memory only, never stored) and one
 * media client per homeserver and token, so what a client learned (its capabilities) is shared by
 * every transfer there.
 */
export class MediaClients {
  private readonly accessTokens = new Map<string, string>();
  private readonly clients = new Map<string, { accessToken: string; client: MediaRepositoryClient }>();

  constructor(private readonly fetch?: typeof globalThis.fetch) {}

  authorise(access: MediaAccess): void {
    this.accessTokens.set(normalise(access.homeserverUrl), access.accessToken);
  }

  /** Forgets a homeserver's token (signed out): its transfers cannot run until one is given again. */
  revoke(homeserverUrl: string): void {
    const key = normalise(homeserverUrl);
    this.accessTokens.delete(key);
    this.clients.delete(key);
  }

  async clientFor(homeserverUrl: string): Promise<MediaRepositoryClient> {
    const key = normalise(homeserverUrl);
    const accessToken = this.accessTokens.get(key);
    if (accessToken === undefined) {
      throw new TransferError('STATE_UNREADABLE', `no access token for ${homeserverUrl}: sign in to resume`);
    }
    const cached = this.clients.get(key);
    if (cached?.accessToken === accessToken) return cached.client;
    const client = new MediaRepositoryClient({ homeserverUrl, accessToken, ...(this.fetch && { fetch: this.fetch }) });
    this.clients.set(key, { accessToken, client });
    return client;
  }
}
