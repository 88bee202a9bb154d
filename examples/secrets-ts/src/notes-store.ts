/**
 * Storage layout of notes and share codes: one JSON entry per note and per
 * code. Coffer encrypts every entry before it reaches disk, so the engine
 * stores plain JSON.
 */
import type { Storage } from '@coffer/sdk';

/** A stored note. */
export interface Note {
  text: string;
  /** 1 when the note is created, plus 1 on every update. */
  revision: number;
}

/** A stored share code: which note the code lets its holder read. */
export interface Share {
  note: string;
}

/** Storage prefix of notes; a note's key is the prefix plus its name. */
export const NOTES_PREFIX = 'notes/';

/** Storage prefix of share codes; a code's key is the prefix plus the code. */
export const SHARES_PREFIX = 'shares/';

async function getJson<T>(storage: Storage, key: string): Promise<T | null> {
  const entry = await storage.get(key);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

async function putJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
}

export function getNote(storage: Storage, name: string): Promise<Note | null> {
  return getJson<Note>(storage, NOTES_PREFIX + name);
}

export function putNote(storage: Storage, name: string, note: Note): Promise<void> {
  return putJson(storage, NOTES_PREFIX + name, note);
}

export function deleteNote(storage: Storage, name: string): Promise<void> {
  return storage.delete(NOTES_PREFIX + name);
}

export function listNotes(storage: Storage): Promise<string[]> {
  return storage.list(NOTES_PREFIX);
}

export function getShare(storage: Storage, code: string): Promise<Share | null> {
  return getJson<Share>(storage, SHARES_PREFIX + code);
}

export function putShare(storage: Storage, code: string, share: Share): Promise<void> {
  return putJson(storage, SHARES_PREFIX + code, share);
}

export function deleteShare(storage: Storage, code: string): Promise<void> {
  return storage.delete(SHARES_PREFIX + code);
}
