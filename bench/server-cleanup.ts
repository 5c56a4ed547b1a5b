/**
 * The benchmark's uploads are complete media, which the API cannot delete, and a full run stores about
 * 7 GiB of them in the stack's data directory. This removes the media of the benchmark's own users
 * (owner `@bench-…`) from the stack's embedded store: marked cancelled (so they answer 404) and their
 * files deleted. It opens the SQLite database directly rather than through FileMediaStore, whose open
 * would reconcile (truncate) uploads the running server may be writing.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export async function removeBenchUploads(dataDir: string, ownerPattern = '@bench-%'): Promise<number> {
  const db = new Database(join(dataDir, 'media.db'), { timeout: 10_000 });
  try {
    const rows = db
      .prepare("SELECT server_name, media_id FROM media WHERE owner LIKE ? AND state = 'complete'")
      .all(ownerPattern) as { server_name: string; media_id: string }[];
    const cancel = db.prepare("UPDATE media SET state = 'cancelled' WHERE server_name = ? AND media_id = ?");
    for (const row of rows) {
      cancel.run(row.server_name, row.media_id);
      await rm(join(dataDir, 'uploads', encodeURIComponent(row.server_name), row.media_id), { force: true });
    }
    return rows.length;
  } finally {
    db.close();
  }
}
