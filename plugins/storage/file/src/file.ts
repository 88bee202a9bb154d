/**
 * The file storage backend: one file per key below a root folder, in the
 * layout that layout.ts describes.
 *
 * Durability: a put writes a temporary file in the key's folder, fsyncs it,
 * renames it over the key's file and fsyncs the folder, so a reader sees the
 * old value or the new one, never a mix, and an acknowledged put survives a
 * crash. A delete removes the file, fsyncs the folder and then removes the
 * folders that it left empty. What a crash can leave behind (temporary
 * files, empty folders) is swept when the storage opens.
 *
 * One process owns a root folder at a time; two servers on one folder are
 * not detected.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { dirname, join } from 'node:path';
import { badRequest, validateStorageKey, type ClosableStorage, type Logger, type StorageEntry } from '@coffer/sdk';
import {
  decodeSegment,
  encodeSegment,
  KEY_MARK,
  MAX_ENCODED_SEGMENT,
  MAX_KEY_SEGMENTS,
  MAX_PATH_BYTES,
  TEMP_NAME_LENGTH,
  TEMP_PREFIX,
} from './layout.js';

/** A put tries this often when concurrent deletes keep removing its folder under it. */
const PUT_ATTEMPTS = 8;

/** The maximum number of characters of a key that a message quotes. */
const QUOTED_KEY_LENGTH = 100;

/** The maximum number of characters of a key segment that a message quotes. */
const QUOTED_SEGMENT_LENGTH = 40;

/**
 * Errors of a put that raced a delete removing the key's folder: `ENOENT`
 * from open or a sync, and `ENOTDIR` from a recursive mkdir that found a
 * folder and then lost it. This layout never puts a file where a folder
 * belongs, so neither means anything else.
 */
const RACED_DELETE = new Set(['ENOENT', 'ENOTDIR']);

interface Location {
  /** The folder that holds the key's file. */
  dir: string;
  /** The key's file. */
  file: string;
}

/** Storage in one file per key. Create it with {@link FileStorage.open}. */
export class FileStorage implements ClosableStorage {
  /**
   * Syncs in progress for folders that a put has just made, by folder. A
   * put into a folder that another put made must not be acknowledged before
   * that folder's own entry is durable.
   */
  private readonly folderSyncs = new Map<string, Promise<void>>();

  private constructor(readonly root: string) {}

  /**
   * Opens the storage at `root`, making the folder (mode 0700) when it is
   * missing and sweeping away what an earlier crash left behind.
   */
  static async open(root: string, logger: Logger): Promise<FileStorage> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    const swept = { temps: 0, folders: 0 };
    await sweep(root, swept);
    if (swept.temps > 0 || swept.folders > 0) {
      logger.info({ root, temporaryFiles: swept.temps, emptyFolders: swept.folders }, 'file storage removed crash leftovers');
    }
    return new FileStorage(root);
  }

  async get(key: string): Promise<StorageEntry | null> {
    const { file } = this.locate(key);
    try {
      return { key, value: await readFile(file) };
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return null;
      throw failure('get', key, err);
    }
  }

  async put(entry: StorageEntry): Promise<void> {
    const { key } = entry;
    const location = this.locate(key);
    // Copy before the first await: the caller may reuse its buffer.
    const value = Buffer.from(entry.value);

    for (let attempt = 1; ; attempt++) {
      try {
        await this.writeAtomically(location, value);
        return;
      } catch (err) {
        if (RACED_DELETE.has(errorCode(err) ?? '') && attempt < PUT_ATTEMPTS) continue;
        throw failure('put', key, err);
      }
    }
  }

  async delete(key: string): Promise<void> {
    const { dir, file } = this.locate(key);
    try {
      await unlink(file);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      throw failure('delete', key, err);
    }

    try {
      await this.syncNearest(dir);
      await this.removeEmptyFolders(dir);
    } catch (err) {
      throw failure('delete', key, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.folderOf(prefix);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw failure('list', prefix, err);
    }

    const children: string[] = [];
    for (const entry of entries) {
      // Skips temporary files and anything this layout never writes.
      const isKey = entry.isFile() && entry.name.startsWith(KEY_MARK);
      const isFolder = entry.isDirectory();
      const segment = isKey || isFolder ? decodeSegment(isKey ? entry.name.slice(KEY_MARK.length) : entry.name) : null;
      if (segment !== null) children.push(isKey ? segment : segment + '/');
    }
    return children.sort();
  }

  async close(): Promise<void> {}

  /** Writes `value` to a temporary file, syncs it and renames it over the key's file. */
  private async writeAtomically({ dir, file }: Location, value: Buffer): Promise<void> {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    await (created === undefined ? this.awaitFolderSyncs(dir) : this.syncNewFolders(created, dir));

    const temp = join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
    const handle = await open(temp, 'wx', 0o600);
    try {
      try {
        await handle.writeFile(value);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    await syncFolder(dir);
  }

  /**
   * Syncs the parent of every folder from `first` (the top one mkdir made)
   * down to `last`, so that the new folders are durable. `last` itself is
   * synced after the rename.
   */
  private async syncNewFolders(first: string, last: string): Promise<void> {
    const made: string[] = [];
    for (let folder = last; folder !== first; folder = dirname(folder)) made.push(folder);
    made.push(first);

    const syncs = (async () => {
      for (const folder of made.reverse()) await syncFolder(dirname(folder));
    })();
    for (const folder of made) this.folderSyncs.set(folder, syncs);
    try {
      await syncs;
    } finally {
      for (const folder of made) if (this.folderSyncs.get(folder) === syncs) this.folderSyncs.delete(folder);
    }
  }

  /** Waits for the syncs of any folder on the way to `dir` that another put has just made. */
  private async awaitFolderSyncs(dir: string): Promise<void> {
    if (this.folderSyncs.size === 0) return;
    for (let folder = dir; folder !== this.root; folder = dirname(folder)) {
      const syncs = this.folderSyncs.get(folder);
      if (syncs !== undefined) await syncs;
    }
  }

  /**
   * Syncs `dir`, or when a concurrent delete has already removed it, the
   * nearest folder above it that still exists, which records that removal.
   */
  private async syncNearest(dir: string): Promise<void> {
    for (let folder = dir; ; folder = dirname(folder)) {
      try {
        await syncFolder(folder);
        return;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT' || folder === this.root) throw err;
      }
    }
  }

  /**
   * Removes `dir` and the folders above it while they are empty. These
   * removals are not synced: if a crash undoes one, the empty folder is
   * swept at the next open.
   */
  private async removeEmptyFolders(dir: string): Promise<void> {
    for (let folder = dir; folder !== this.root; folder = dirname(folder)) {
      try {
        await rmdir(folder);
      } catch (err) {
        const code = errorCode(err);
        // Not empty (a sibling or a put in progress), or already removed.
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
        throw err;
      }
    }
  }

  /**
   * Returns where `key` lives on disk. Throws a 400 before any disk access
   * when the key breaks a limit of the layout, and a plain error (500) when
   * it is no valid storage key at all, which only a bug in the caller makes.
   */
  private locate(key: string): Location {
    const problem = validateStorageKey(key) ?? wellFormed(key);
    if (problem !== null) throw new Error(`storage "file": invalid key: ${problem}`);

    const names = encodeWithinLimits('key', key, key);
    const last = names.length - 1;
    const dir = join(this.root, ...names.slice(0, last));
    const file = join(dir, KEY_MARK + names[last]);

    // A put also writes a temporary file next to the key's file, and its name can be the longer one.
    checkPathLength('key', key, Math.max(Buffer.byteLength(file), Buffer.byteLength(dir) + 1 + TEMP_NAME_LENGTH));
    return { dir, file };
  }

  private folderOf(prefix: string): string {
    if (prefix === '') return this.root;
    const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : null;
    const problem = folder === null ? 'must be empty or end with "/"' : (validateStorageKey(folder) ?? wellFormed(folder));
    if (folder === null || problem !== null) {
      throw new Error(`storage "file": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
    }

    const dir = join(this.root, ...encodeWithinLimits('list prefix', prefix, folder));
    checkPathLength('list prefix', prefix, Buffer.byteLength(dir));
    return dir;
  }
}

/**
 * Escapes each segment of `key`. `what` and `label` name the key or list
 * prefix in messages.
 *
 * @throws CofferError (400) when the key has more than
 *   {@link MAX_KEY_SEGMENTS} segments or a segment escapes to more than
 *   {@link MAX_ENCODED_SEGMENT} bytes.
 */
function encodeWithinLimits(what: string, label: string, key: string): string[] {
  const segments = key.split('/');
  if (segments.length > MAX_KEY_SEGMENTS) {
    throw badRequest(
      `storage "file": invalid ${what} ${quote(label)}: it has ${segments.length} segments, ` +
        `more than the maximum of ${MAX_KEY_SEGMENTS}: use fewer segments`,
    );
  }

  return segments.map((segment) => {
    const name = encodeSegment(segment);
    if (name.length > MAX_ENCODED_SEGMENT) {
      // The segment is quoted by its text: its position in the storage key
      // counts prefixes such as the mount's, which the client never sent.
      throw badRequest(
        `storage "file": invalid ${what} ${quote(label)}: segment ${quote(segment, QUOTED_SEGMENT_LENGTH)} ` +
          `is ${name.length} bytes once escaped, ` +
          `more than the maximum of ${MAX_ENCODED_SEGMENT}: shorten it, counting 3 bytes for each byte ` +
          'other than a-z, 0-9, "-" and a "." that is not first',
      );
    }
    return name;
  });
}

/** Throws a 400 when a path of `bytes` would be longer than the file system accepts. */
function checkPathLength(what: string, label: string, bytes: number): void {
  if (bytes <= MAX_PATH_BYTES) return;
  throw badRequest(
    `storage "file": invalid ${what} ${quote(label)}: its file path would be ${bytes} bytes with the storage folder, ` +
      `more than the maximum of ${MAX_PATH_BYTES}: use fewer or shorter segments`,
  );
}

/** Quotes `text` for a message, cut to its first `maxLength` characters when it is longer. */
function quote(text: string, maxLength = QUOTED_KEY_LENGTH): string {
  if (text.length <= maxLength) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, maxLength))}... (${text.length} characters)`;
}

/** Lone UTF-16 surrogates would all be written as U+FFFD, so two such keys would meet on disk. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}

/** Fsyncs a folder so that the entries made or removed in it are durable. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Removes temporary files and empty folders below `dir`, as a crash in the
 * middle of a put or a delete leaves them. Returns whether `dir` is empty now.
 */
async function sweep(dir: string, swept: { temps: number; folders: number }): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  let kept = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
      await unlink(path);
      swept.temps++;
    } else if (entry.isDirectory() && decodeSegment(entry.name) !== null && (await sweep(path, swept))) {
      await rmdir(path);
      swept.folders++;
    } else {
      kept++;
    }
  }
  return kept === 0;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Wraps a file system error of `operation` on `key`. ENAMETOOLONG becomes a
 * 400, because it means the file system under the storage folder has
 * shorter name or path limits than the checks in `locate` assume. Its
 * message leaves out the OS error, which names the server's folders.
 */
export function failure(operation: string, key: string, err: unknown): Error {
  if (errorCode(err) === 'ENAMETOOLONG') {
    return badRequest(
      `storage "file": ${operation} ${quote(key)} failed: a file name or path is longer than the file system ` +
        'under the storage folder allows: use fewer or shorter segments',
    );
  }
  return new Error(`storage "file": ${operation} "${key}" failed: ${messageOf(err)}`, { cause: err });
}
