/**
 * The method's configuration, stored at `config`.
 */
import type { Storage } from '@coffer/sdk';

export interface CertConfig {
  /** When true, a renewal does not check that the client presents the certificate it logged in with. */
  disableBinding: boolean;
  /** When true, the login metadata is also set on the entity alias. */
  enableIdentityAliasMetadata: boolean;
}

const CONFIG_KEY = 'config';

/** Returns the stored configuration, or Vault's defaults (both false) when none was written. */
export async function readConfig(storage: Storage): Promise<CertConfig> {
  const stored = await storage.get(CONFIG_KEY);
  const defaults: CertConfig = { disableBinding: false, enableIdentityAliasMetadata: false };
  return stored === null ? defaults : { ...defaults, ...(JSON.parse(stored.value.toString('utf8')) as Partial<CertConfig>) };
}

export async function writeConfig(storage: Storage, config: CertConfig): Promise<void> {
  await storage.put({ key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config)) });
}
