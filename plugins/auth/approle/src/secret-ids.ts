/**
 * Secret IDs as stored in the mount's storage, never in clear:
 *
 *   secret_id/<HMAC of role name>/<HMAC of secret ID>   the secret ID's settings (SecretIdEntry)
 *   accessor/<salted accessor>                          {"secretIdHmac": ...}, to act by accessor
 *
 * Both HMACs use the role's key. A role with `local_secret_ids` uses
 * `secret_id_local/` and `accessor_local/`, as Vault does.
 *
 * The accessor entry is written before the secret ID and removed before it,
 * so a secret ID never outlives its accessor. A crash can leave an accessor
 * entry without a secret ID; tidy removes such entries. A secret ID found
 * without its accessor is treated as revoked and deleted on sight.
 */
import type { Storage } from '@coffer/sdk';
import type { RoleEntry } from './roles.js';
import { hmacHex, type MountSalt } from './salt.js';

export interface SecretIdEntry {
  secretIdAccessor: string;
  /** Logins left; 0 is unlimited. */
  secretIdNumUses: number;
  /** Lifetime in seconds as granted, after capping at the mount's max lease TTL; 0 never expires. */
  secretIdTtl: number;
  /** RFC 3339 times. */
  creationTime: string;
  /** Null when the secret ID never expires. */
  expirationTime: string | null;
  lastUpdatedTime: string;
  /** Copied into the metadata of tokens issued with this secret ID. */
  metadata: Record<string, string>;
  /** Addresses that may log in with this secret ID; empty allows any the role allows. */
  cidrList: string[];
  /** Overrides the role's `token_bound_cidrs` for tokens issued with this secret ID. */
  tokenBoundCidrs: string[];
}

export interface AccessorEntry {
  secretIdHmac: string;
}

/** Vault's text for a time that is not set, used for `expiration_time`. */
const NO_TIME = '0001-01-01T00:00:00Z';

/** The storage folders of secret IDs and of their accessors, for roles without and with `local_secret_ids`. */
export const STORAGE_FOLDERS = [
  { secretIds: 'secret_id/', accessors: 'accessor/' },
  { secretIds: 'secret_id_local/', accessors: 'accessor_local/' },
] as const;

function prefixes(role: RoleEntry): (typeof STORAGE_FOLDERS)[number] {
  return STORAGE_FOLDERS[role.localSecretIds ? 1 : 0];
}

/** Returns the storage folder of the role's secret IDs. */
function roleFolder(role: RoleEntry): string {
  return `${prefixes(role).secretIds}${hmacHex(role.hmacKey, role.name)}/`;
}

async function accessorKey(storage: Storage, salt: MountSalt, role: RoleEntry, accessor: string): Promise<string> {
  return prefixes(role).accessors + (await salt.saltedId(storage, accessor));
}

/** Returns the HMAC under which a secret ID of `role` is stored. */
export function secretIdHmac(role: RoleEntry, secretId: string): string {
  return hmacHex(role.hmacKey, secretId);
}

export async function readSecretId(storage: Storage, role: RoleEntry, hmac: string): Promise<SecretIdEntry | null> {
  const entry = await storage.get(roleFolder(role) + hmac);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as SecretIdEntry);
}

/** Overwrites the settings of an existing secret ID, e.g. its remaining uses. */
export async function writeSecretId(storage: Storage, role: RoleEntry, hmac: string, entry: SecretIdEntry): Promise<void> {
  await storage.put({ key: roleFolder(role) + hmac, value: Buffer.from(JSON.stringify(entry)) });
}

/** Stores a new secret ID: its accessor index first, then the secret ID. */
export async function storeNewSecretId(storage: Storage, salt: MountSalt, role: RoleEntry, hmac: string, entry: SecretIdEntry): Promise<void> {
  const index: AccessorEntry = { secretIdHmac: hmac };
  await storage.put({ key: await accessorKey(storage, salt, role, entry.secretIdAccessor), value: Buffer.from(JSON.stringify(index)) });
  await writeSecretId(storage, role, hmac, entry);
}

/** Deletes a secret ID: its accessor index first, then the secret ID. */
export async function destroySecretId(storage: Storage, salt: MountSalt, role: RoleEntry, hmac: string, accessor: string): Promise<void> {
  await storage.delete(await accessorKey(storage, salt, role, accessor));
  await storage.delete(roleFolder(role) + hmac);
}

/** Deletes a secret ID entry that has no accessor index. */
export async function deleteOrphanSecretId(storage: Storage, role: RoleEntry, hmac: string): Promise<void> {
  await storage.delete(roleFolder(role) + hmac);
}

/** Returns the HMAC of the secret ID an accessor belongs to, or null. */
export async function readAccessor(storage: Storage, salt: MountSalt, role: RoleEntry, accessor: string): Promise<string | null> {
  const entry = await storage.get(await accessorKey(storage, salt, role, accessor));
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as AccessorEntry).secretIdHmac;
}

/** Returns the HMACs of all secret IDs of the role. */
export async function listSecretIdHmacs(storage: Storage, role: RoleEntry): Promise<string[]> {
  return storage.list(roleFolder(role));
}

/** Returns true when the secret ID's lifetime has ended at `now` (ms). */
export function isExpired(entry: SecretIdEntry, now: number): boolean {
  return entry.expirationTime !== null && now >= Date.parse(entry.expirationTime);
}

/** Returns the secret ID's settings as Vault's lookup endpoints report them. */
export function describeSecretId(entry: SecretIdEntry): Record<string, unknown> {
  return {
    secret_id_accessor: entry.secretIdAccessor,
    secret_id_num_uses: entry.secretIdNumUses,
    secret_id_ttl: entry.secretIdTtl,
    creation_time: entry.creationTime,
    expiration_time: entry.expirationTime ?? NO_TIME,
    last_updated_time: entry.lastUpdatedTime,
    metadata: entry.metadata,
    cidr_list: entry.cidrList,
    token_bound_cidrs: entry.tokenBoundCidrs,
  };
}
