/**
 * The mount table: which engine serves which path prefix. It is stored
 * through the barrier at `core/mounts` and kept in memory, so routing never
 * touches storage.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '@coffer/sdk';
import { randomBase62 } from '../token/token-store.js';


export interface MountConfig {
  /** Seconds; 0 means the server default. */
  defaultLeaseTtl: number;
  /** Seconds; 0 means the server default. */
  maxLeaseTtl: number;
  forceNoCache: boolean;
  listingVisibility: string;
  auditNonHmacRequestKeys: string[];
  auditNonHmacResponseKeys: string[];
  passthroughRequestHeaders: string[];
  allowedResponseHeaders: string[];
  /**
   * Auth mounts only: the type of the tokens their logins issue, `service`
   * or `batch` whatever the method requests, or `default-service` or
   * `default-batch` when the method leaves it open. Empty means
   * `default-service`; tables written before the setting lack it.
   */
  tokenType?: string;
}

export interface MountEntry {
  /** Mount path with a trailing `/`, e.g. `secret/`. */
  path: string;
  type: string;
  description: string;
  uuid: string;
  accessor: string;
  config: MountConfig;
  options: Record<string, string>;
  local: boolean;
  sealWrap: boolean;
  externalEntropyAccess: boolean;
  pluginVersion: string;
}

export function defaultMountConfig(): MountConfig {
  return {
    defaultLeaseTtl: 0,
    maxLeaseTtl: 0,
    forceNoCache: false,
    listingVisibility: '',
    auditNonHmacRequestKeys: [],
    auditNonHmacResponseKeys: [],
    passthroughRequestHeaders: [],
    allowedResponseHeaders: [],
  };
}

/** The settable parts of a new mount. */
export type MountFields = Partial<Omit<MountEntry, 'config'>> & { config?: Partial<MountConfig> };

/** Builds a new entry with a fresh UUID and accessor. */
export function newMountEntry(path: string, type: string, fields: MountFields): MountEntry {
  return {
    path,
    type,
    description: fields.description ?? '',
    uuid: randomUUID(),
    accessor: `${type}_${randomBase62(8).toLowerCase()}`,
    config: { ...defaultMountConfig(), ...fields.config },
    options: fields.options ?? {},
    local: fields.local ?? false,
    sealWrap: fields.sealWrap ?? false,
    externalEntropyAccess: fields.externalEntropyAccess ?? false,
    pluginVersion: fields.pluginVersion ?? '',
  };
}

export async function loadMountTable(storage: Storage, tablePath: string): Promise<MountEntry[] | null> {
  const entry = await storage.get(tablePath);
  if (entry === null) return null;
  return JSON.parse(entry.value.toString('utf8')) as MountEntry[];
}

export async function saveMountTable(storage: Storage, tablePath: string, mounts: readonly MountEntry[]): Promise<void> {
  await storage.put({ key: tablePath, value: Buffer.from(JSON.stringify(mounts)) });
}
