/**
 * The mount's RADIUS configuration, Vault's defaults, and its storage entry.
 * The entry contains the shared secret, so it is read only through this
 * module and never returned whole.
 */
import type { Storage, TokenSettings } from '@coffer/sdk';

export interface RadiusConfig {
  host: string;
  port: number;
  /** The shared secret of the RADIUS client entry; never returned on read. */
  secret: string;
  /** Policies of users that have no entry under users/; empty rejects them. */
  unregisteredUserPolicies: string[];
  /** Seconds to resolve and connect to the server. */
  dialTimeout: number;
  /** Seconds to wait for a verified response. */
  readTimeout: number;
  nasPort: number;
  /** Sent as NAS-Identifier when not empty. */
  nasIdentifier: string;
  token: TokenSettings;
}

export function defaultConfig(token: TokenSettings): RadiusConfig {
  return {
    host: '',
    port: 1812,
    secret: '',
    unregisteredUserPolicies: [],
    dialTimeout: 10,
    readTimeout: 10,
    nasPort: 10,
    nasIdentifier: '',
    token,
  };
}

const CONFIG_KEY = 'config';

/** Returns the stored configuration, or `null` before the first write. */
export async function readConfig(storage: Storage): Promise<RadiusConfig | null> {
  const entry = await storage.get(CONFIG_KEY);
  if (entry === null) return null;
  return JSON.parse(entry.value.toString('utf8')) as RadiusConfig;
}

export async function writeConfig(storage: Storage, config: RadiusConfig): Promise<void> {
  await storage.put({ key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config), 'utf8') });
}
