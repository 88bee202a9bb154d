/** Storage of items: one JSON entry per item under `items/`. Coffer encrypts every entry. */
import type { Storage } from '@coffer/sdk';

/** A stored item. */
export interface Item {
  value: string;
  /** Seconds between rotations that the owner asks for; 0 for none. */
  rotatePeriod: number;
}

const PREFIX = 'items/';

export async function readItem(storage: Storage, name: string): Promise<Item | null> {
  const entry = await storage.get(PREFIX + name);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as Item);
}

export async function writeItem(storage: Storage, name: string, item: Item): Promise<void> {
  await storage.put({ key: PREFIX + name, value: Buffer.from(JSON.stringify(item)) });
}

export async function deleteItem(storage: Storage, name: string): Promise<void> {
  await storage.delete(PREFIX + name);
}

export async function listItems(storage: Storage): Promise<string[]> {
  return storage.list(PREFIX);
}
