/**
 * The audit table: which audit devices are enabled, with their options. It
 * is stored through the barrier at `core/audit`, and each device's salt at
 * `audit/<uuid>/salt`, so both are encrypted at rest.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, type Storage } from '@coffer/sdk';

export const AUDIT_TABLE_PATH = 'core/audit';

/** Salt length in bytes: the HMAC-SHA256 key of one device. */
const SALT_BYTES = 32;

export interface AuditTableEntry {
  /** Device path with a trailing `/`, e.g. `file/`. */
  path: string;
  /** The device type, e.g. `file`. */
  type: string;
  description: string;
  /** Names the device's salt in storage. */
  uuid: string;
  accessor: string;
  /** Common and device options, as given when the device was enabled. */
  options: Record<string, string>;
  /** Keep the device on this cluster only; stored for Vault compatibility. */
  local: boolean;
}

/**
 * Normalizes a device path to Vault's form: no leading `/`, one trailing `/`.
 * @throws CofferError (400) for an empty path or one with empty or dot segments.
 */
export function normalizeAuditPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') throw badRequest('invalid audit device path "": use a name such as "file"');
  for (const segment of trimmed.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw badRequest(`invalid audit device path "${path}": it contains an empty, "." or ".." segment`);
    }
  }
  return `${trimmed}/`;
}

/** Builds a new table entry with a fresh UUID and accessor. */
export function newAuditEntry(path: string, type: string, fields: { description: string; options: Record<string, string>; local: boolean }): AuditTableEntry {
  return {
    path,
    type,
    description: fields.description,
    uuid: randomUUID(),
    accessor: `audit_${type}_${randomBytes(4).toString('hex')}`,
    options: fields.options,
    local: fields.local,
  };
}

/**
 * Loads the table; an empty list when none was ever stored.
 * @throws Error when the stored table is not a list of entries.
 */
export async function loadAuditTable(storage: Storage): Promise<AuditTableEntry[]> {
  const stored = await storage.get(AUDIT_TABLE_PATH);
  if (stored === null) return [];

  const parsed: unknown = JSON.parse(stored.value.toString('utf8'));
  if (!Array.isArray(parsed) || !parsed.every(isTableEntry)) {
    throw new Error(`audit table at "${AUDIT_TABLE_PATH}" is malformed: expected a list of entries with path, type and uuid`);
  }
  return parsed;
}

export async function saveAuditTable(storage: Storage, entries: readonly AuditTableEntry[]): Promise<void> {
  await storage.put({ key: AUDIT_TABLE_PATH, value: Buffer.from(JSON.stringify(entries)) });
}

/** Loads a device's salt, creating and storing one when missing. */
export async function loadOrCreateSalt(storage: Storage, uuid: string): Promise<Buffer> {
  const stored = await storage.get(saltKey(uuid));
  if (stored !== null) return stored.value;

  const salt = newSalt();
  await saveSalt(storage, uuid, salt);
  return salt;
}

/** Makes a salt for a new device; {@link saveSalt} stores it once the device is enabled. */
export function newSalt(): Buffer {
  return randomBytes(SALT_BYTES);
}

export async function saveSalt(storage: Storage, uuid: string, salt: Buffer): Promise<void> {
  await storage.put({ key: saltKey(uuid), value: salt });
}

export async function deleteSalt(storage: Storage, uuid: string): Promise<void> {
  await storage.delete(saltKey(uuid));
}

function saltKey(uuid: string): string {
  return `audit/${uuid}/salt`;
}

function isTableEntry(value: unknown): value is AuditTableEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.path === 'string' && typeof entry.type === 'string' && typeof entry.uuid === 'string' && typeof entry.options === 'object';
}
