import pg from 'pg';
import type { MediaChange, MediaChangeFeed, MediaState } from '../media-store.js';
import { CHANGE_CHANNEL } from './postgres-schema.js';

interface Subscriber {
  readonly onChange: (change: MediaChange) => void;
  readonly onResync: () => void;
}

/** The NOTIFY payload: short field names, since every recorded part sends one. */
interface Payload {
  s: string;
  m: string;
  o: number;
  l: number | null;
  t: MediaState;
}

export function changePayload(change: MediaChange): string {
  const payload: Payload = {
    s: change.serverName,
    m: change.mediaId,
    o: change.uploadOffset,
    l: change.declaredLength,
    t: change.state,
  };
  return JSON.stringify(payload);
}

function parsePayload(text: string | undefined): MediaChange | undefined {
  try {
    const p = JSON.parse(text ?? '') as Payload;
    if (typeof p.s !== 'string' || typeof p.m !== 'string' || typeof p.o !== 'number') return undefined;
    return { serverName: p.s, mediaId: p.m, uploadOffset: p.o, declaredLength: p.l ?? null, state: p.t };
  } catch {
    return undefined;
  }
}

/**
 * Every instance's view of changes to upload records: one dedicated PostgreSQL connection LISTENing on
 * `slipstream_media`, where each recorded part, declared length and end is NOTIFYed in the same
 * transaction that records it — so a notification never announces bytes that are not recorded, and
 * PostgreSQL delivers them in commit order. Changes made by this instance are also delivered at once
 * (`emitLocal`), without the round trip.
 *
 * NOTIFY is not durable: a notification sent while this connection is down is lost. So after a
 * reconnection subscribers are told to resync (re-read what they follow), and the bridge also polls
 * what its readers wait on (cluster-live-bridge.ts).
 */
export class PostgresChangeFeed implements MediaChangeFeed {
  private readonly subscribers = new Set<Subscriber>();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnecting = false;

  private constructor(
    private readonly connectionString: string,
    private readonly warn: (line: string) => void,
  ) {}

  static async start(connectionString: string, warn: (line: string) => void): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(connectionString, warn);
    feed.client = await feed.connect();
    return feed;
  }

  subscribe(onChange: (change: MediaChange) => void, onResync: () => void): () => void {
    const subscriber = { onChange, onResync };
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** A change this instance just committed (its NOTIFY will arrive too; subscribers take the newer). */
  emitLocal(change: MediaChange): void {
    for (const subscriber of this.subscribers) subscriber.onChange(change);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on('notification', (message) => {
      const change = parsePayload(message.payload);
      if (change) this.emitLocal(change);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.closed || client !== this.client || this.reconnecting) return;
    this.client = undefined;
    this.reconnecting = true;
    this.warn(`lost the database's change notifications (${error.message}); reconnecting`);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    let waitMs = 100;
    while (!this.closed) {
      try {
        this.client = await this.connect();
        this.reconnecting = false;
        this.warn('change notifications are back; re-reading the uploads being followed');
        for (const subscriber of this.subscribers) subscriber.onResync();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(5_000, waitMs * 2);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
