/**
 * The mount's configuration and its storage entry `config`: the GitHub
 * organization whose members may log in, the API to ask, and the token
 * settings of issued tokens.
 */
import type { Storage, TokenSettings } from '@coffer/sdk';

export interface GitHubConfig {
  /** Login of the organization, as written to config. */
  organization: string;
  /**
   * ID of the organization. Logins check membership by this ID, so that a
   * renamed organization keeps working and a new one with the old name
   * does not. Never 0 once stored: a write looks it up when not given.
   */
  organizationId: number;
  /** API root with a trailing slash; empty means https://api.github.com/. */
  baseUrl: string;
  /**
   * Seconds set through Vault's deprecated `ttl` and `max_ttl` fields, which
   * also set the token TTLs. Reported on read while not 0; a later write of
   * `token_ttl` or `token_max_ttl` resets them to 0.
   */
  legacyTtl: number;
  legacyMaxTtl: number;
  token: TokenSettings;
}

const CONFIG_KEY = 'config';

/** Returns the stored configuration, or `null` before the first write. */
export async function readConfig(storage: Storage): Promise<GitHubConfig | null> {
  const entry = await storage.get(CONFIG_KEY);
  if (entry === null) return null;
  return JSON.parse(entry.value.toString('utf8')) as GitHubConfig;
}

export async function writeConfig(storage: Storage, config: GitHubConfig): Promise<void> {
  await storage.put({ key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config), 'utf8') });
}
