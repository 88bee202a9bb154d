/**
 * A write-ahead log for backends that change external systems. Before a
 * multi-step change (create a database user, then store its lease), the
 * backend records what it is about to do, and once the change is complete it
 * deletes the record. The periodic pass hands a record left behind by a
 * crash or failure to the backend's rollback function, which undoes the
 * half-done change, as Vault's framework does.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage.js';

const WAL_PREFIX = 'wal/';

export interface WalEntry {
  id: string;
  /** Kind of change the backend was making, e.g. `user`, which selects the rollback action. */
  kind: string;
  data: Record<string, unknown>;
  /** Unix milliseconds. */
  createdAt: number;
}

export class WriteAheadLog {
  /** @param storage the backend's own storage; entries live under `wal/`. */
  constructor(private readonly storage: Storage) {}

  /** Records an intended change and returns its ID; resolves once the record is durable. */
  async put(kind: string, data: Record<string, unknown>, now = Date.now()): Promise<string> {
    const entry: WalEntry = { id: randomUUID(), kind, data, createdAt: now };
    await this.storage.put({ key: WAL_PREFIX + entry.id, value: Buffer.from(JSON.stringify(entry)) });
    return entry.id;
  }

  async get(id: string): Promise<WalEntry | null> {
    const stored = await this.storage.get(WAL_PREFIX + id);
    return stored === null ? null : (JSON.parse(stored.value.toString('utf8')) as WalEntry);
  }

  /** Deletes a record once its change completed or was rolled back. */
  async delete(id: string): Promise<void> {
    await this.storage.delete(WAL_PREFIX + id);
  }

  async list(): Promise<string[]> {
    return this.storage.list(WAL_PREFIX);
  }
}

/** Rollback settings of a backend's write-ahead log. */
export interface WalRollback {
  log: WriteAheadLog;
  /**
   * Undoes a half-done change. Throwing keeps the record for the next pass.
   */
  rollback(entry: WalEntry): Promise<void>;
  /**
   * Seconds a record must age before it is rolled back, so a change still in
   * progress is not undone under it. Vault's default is 10 minutes.
   */
  minAgeSeconds?: number;
}

/** Rolls back every record older than the minimum age; returns how many were rolled back. */
export async function rollBackOldEntries(wal: WalRollback, now = Date.now()): Promise<number> {
  const minAge = (wal.minAgeSeconds ?? 600) * 1000;
  let rolledBack = 0;
  for (const id of await wal.log.list()) {
    const entry = await wal.log.get(id);
    if (entry === null || now - entry.createdAt < minAge) continue;
    await wal.rollback(entry);
    await wal.log.delete(id);
    rolledBack += 1;
  }
  return rolledBack;
}
