import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/durable-file.js';
import { type TransferRecord, transferRecordSchema } from './transfer-record.js';

/**
 * Transfer records on disk: `<dataDir>/transfers/<id>.json`, each replaced atomically, so a crash
 * leaves every record either as it was or as it became. Files beside a record (`<id>.ledger`) belong
 * to it and go with it. Writes to one record are serialised; the last save wins.
 */
export class TransferStore {
  readonly directory: string;
  private readonly writes = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'transfers');
  }

  static newId(): string {
    return randomBytes(12).toString('base64url');
  }

  pathOf(id: string, suffix = '.json'): string {
    return join(this.directory, `${id}${suffix}`);
  }

  async save(record: TransferRecord): Promise<void> {
    const checked = transferRecordSchema.parse(record);
    const previous = this.writes.get(record.id) ?? Promise.resolve();
    const write = previous
      .catch(() => undefined)
      .then(async () => {
        await mkdir(this.directory, { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.pathOf(record.id), `${JSON.stringify(checked, null, 2)}\n`);
      });
    this.writes.set(record.id, write);
    try {
      await write;
    } finally {
      if (this.writes.get(record.id) === write) this.writes.delete(record.id);
    }
  }

  async load(id: string): Promise<TransferRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return transferRecordSchema.parse(JSON.parse(text));
  }

  /** Every readable record; a damaged one is reported to `onDamaged` and skipped, never fatal. */
  async list(onDamaged: (file: string, error: unknown) => void = () => undefined): Promise<TransferRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: TransferRecord[] = [];
    for (const name of names.filter((entry) => entry.endsWith('.json') && !entry.startsWith('.')).sort()) {
      try {
        const record = await this.load(name.slice(0, -'.json'.length));
        if (record) records.push(record);
      } catch (error) {
        onDamaged(join(this.directory, name), error);
      }
    }
    return records.sort((a, b) => a.createdAt - b.createdAt);
  }

  async remove(id: string): Promise<void> {
    await this.writes.get(id)?.catch(() => undefined);
    await rm(this.pathOf(id), { force: true });
    await rm(this.pathOf(id, '.ledger'), { force: true });
  }
}
