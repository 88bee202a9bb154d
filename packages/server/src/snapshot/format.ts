/**
 * The snapshot file format: every physical storage entry, framed, with a
 * SHA-256 checksum at the end, so that it can be written and checked as a
 * stream and restored into any storage backend.
 *
 * Layout, all integers unsigned 32-bit big-endian:
 *
 *   magic        8 bytes  "COFFSNAP"
 *   version      u32      1
 *   header size  u32      then that many bytes of UTF-8 JSON ({@link SnapshotHeader})
 *   entries      repeated: tag "E" (0x45), key size u32, key (UTF-8),
 *                value size u32, value
 *   end          tag "Z" (0x5a), entry count u32
 *   checksum     32 bytes, SHA-256 of every byte before it
 *
 * Values are copied as stored: barrier ciphertext, plus the seal
 * configuration and the wrapped root key, which are stored in clear.
 * The checksum detects a truncated or damaged file. It is not a signature,
 * so anyone who can write the file can also recompute the checksum.
 */
import { createHash, type Hash } from 'node:crypto';
import { badRequest, validateStorageKey, type StorageEntry } from '@coffer/sdk';

export const SNAPSHOT_MAGIC = Buffer.from('COFFSNAP', 'ascii');
export const SNAPSHOT_VERSION = 1;
const TAG_ENTRY = 0x45;
const TAG_END = 0x5a;
const DIGEST_BYTES = 32;
/** The largest header accepted, to reject a damaged size field before allocating. */
const MAX_HEADER_BYTES = 64 * 1024;

/** Facts about the server that wrote a snapshot, for the operator and for the restore check. */
export interface SnapshotHeader {
  /** RFC 3339 time when the snapshot was started. */
  created_at: string;
  /** The cluster ID of the server that took it; a restore without force must match it. */
  cluster_id: string;
  /** The storage type it was taken from, e.g. `sqlite`. */
  storage_type: string;
  /** The Coffer version that wrote it. */
  coffer_version: string;
}

/** A decoded and checked snapshot. */
export interface Snapshot {
  header: SnapshotHeader;
  entries: StorageEntry[];
}

/** Builds a snapshot piece by piece, hashing as it goes, so the pieces can be streamed. */
export class SnapshotEncoder {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  /** Returns the magic, version and header. */
  start(header: SnapshotHeader): Buffer {
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const fixed = Buffer.alloc(8);
    fixed.writeUInt32BE(SNAPSHOT_VERSION, 0);
    fixed.writeUInt32BE(json.length, 4);
    return this.hashed(Buffer.concat([SNAPSHOT_MAGIC, fixed, json]));
  }

  /** Returns the frame of one entry. */
  entry(entry: StorageEntry): Buffer {
    const key = Buffer.from(entry.key, 'utf8');
    const frame = Buffer.alloc(1 + 4 + key.length + 4);
    frame.writeUInt8(TAG_ENTRY, 0);
    frame.writeUInt32BE(key.length, 1);
    key.copy(frame, 5);
    frame.writeUInt32BE(entry.value.length, 5 + key.length);
    this.count += 1;
    this.hash.update(frame);
    this.hash.update(entry.value);
    return Buffer.concat([frame, entry.value]);
  }

  /** Returns the end record and the checksum. */
  finish(): Buffer {
    const end = Buffer.alloc(5);
    end.writeUInt8(TAG_END, 0);
    end.writeUInt32BE(this.count, 1);
    this.hash.update(end);
    return Buffer.concat([end, this.hash.digest()]);
  }

  private hashed(bytes: Buffer): Buffer {
    this.hash.update(bytes);
    return bytes;
  }
}

/** Encodes a whole snapshot into one buffer. */
export function encodeSnapshot(header: SnapshotHeader, entries: Iterable<StorageEntry>): Buffer {
  const encoder = new SnapshotEncoder();
  const pieces = [encoder.start(header)];
  for (const entry of entries) pieces.push(encoder.entry(entry));
  pieces.push(encoder.finish());
  return Buffer.concat(pieces);
}

/**
 * Checks and decodes a snapshot: the checksum first, then every frame.
 *
 * @throws CofferError (400) naming what is wrong, e.g. a checksum mismatch
 *   for a truncated file, an unknown version, or an invalid key
 */
export function decodeSnapshot(bytes: Buffer): Snapshot {
  if (bytes.length < SNAPSHOT_MAGIC.length + 8 + 5 + DIGEST_BYTES || !bytes.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw badRequest('invalid snapshot: the data does not start with a Coffer snapshot header; pass a file written by "coffer operator snapshot save"');
  }
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) {
    throw badRequest(`invalid snapshot: the SHA-256 checksum does not match, so the ${bytes.length}-byte file is truncated or damaged`);
  }

  const reader = new FrameReader(body, SNAPSHOT_MAGIC.length);
  const version = reader.u32('version');
  if (version !== SNAPSHOT_VERSION) {
    throw badRequest(`invalid snapshot: format version ${version} is not supported; this server reads version ${SNAPSHOT_VERSION}`);
  }
  const headerSize = reader.u32('header size');
  if (headerSize > MAX_HEADER_BYTES) throw badRequest(`invalid snapshot: header size ${headerSize} exceeds ${MAX_HEADER_BYTES} bytes`);
  const header = parseHeader(reader.bytes(headerSize, 'header'));

  const entries: StorageEntry[] = [];
  const seen = new Set<string>();
  for (;;) {
    const tag = reader.u8('record tag');
    if (tag === TAG_END) break;
    if (tag !== TAG_ENTRY) throw badRequest(`invalid snapshot: unknown record tag 0x${tag.toString(16)} at byte ${reader.offset - 1}`);
    const key = reader.bytes(reader.u32('key size'), 'key').toString('utf8');
    const value = Buffer.from(reader.bytes(reader.u32('value size'), 'value'));
    const problem = validateStorageKey(key);
    if (problem !== null) throw badRequest(`invalid snapshot: entry ${entries.length + 1}: ${problem}`);
    if (seen.has(key)) throw badRequest(`invalid snapshot: key "${key}" appears twice`);
    seen.add(key);
    entries.push({ key, value });
  }
  const count = reader.u32('entry count');
  if (count !== entries.length) throw badRequest(`invalid snapshot: the end record counts ${count} entries, but the file contains ${entries.length}`);
  if (reader.offset !== body.length) throw badRequest(`invalid snapshot: ${body.length - reader.offset} stray bytes after the end record`);
  return { header, entries };
}

function parseHeader(bytes: Buffer): SnapshotHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badRequest('invalid snapshot: the header is not JSON');
  }
  const header = parsed as Partial<SnapshotHeader> | null;
  for (const field of ['created_at', 'cluster_id', 'storage_type', 'coffer_version'] as const) {
    if (typeof header?.[field] !== 'string') throw badRequest(`invalid snapshot: the header has no string field "${field}"`);
  }
  return header as SnapshotHeader;
}

/** Reads big-endian fields from a buffer, failing with the field's name when the data runs out. */
class FrameReader {
  constructor(
    private readonly data: Buffer,
    public offset: number,
  ) {}

  u8(field: string): number {
    this.need(1, field);
    return this.data.readUInt8(this.offset++);
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  bytes(size: number, field: string): Buffer {
    this.need(size, field);
    const slice = this.data.subarray(this.offset, this.offset + size);
    this.offset += size;
    return slice;
  }

  private need(size: number, field: string): void {
    if (this.offset + size > this.data.length) {
      throw badRequest(`invalid snapshot: the ${field} at byte ${this.offset} runs past the end of the data`);
    }
  }
}
