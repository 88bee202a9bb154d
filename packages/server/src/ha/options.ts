/**
 * The HA settings of a server: `api_addr`, `cluster_addr` and
 * `disable_clustering` from the config, with Vault's environment overrides.
 */
import type { ServerConfig } from '../config/index.js';
import type { HaOptions } from './ha-node.js';

/**
 * Builds the HA options. `COFFER_API_ADDR` (or Vault's `VAULT_API_ADDR`)
 * replaces `api_addr`, and `COFFER_CLUSTER_ADDR` (or `VAULT_CLUSTER_ADDR`)
 * replaces `cluster_addr`, as Vault's environment variables replace its settings.
 * @throws Error naming the variable when its value is not an http(s) URL.
 */
export function haOptionsFrom(
  config: Pick<ServerConfig, 'apiAddr' | 'clusterAddr' | 'disableClustering'>,
  env: NodeJS.ProcessEnv = process.env,
): HaOptions {
  const apiAddr = fromEnv(env, 'API_ADDR') ?? config.apiAddr;
  const clusterAddr = fromEnv(env, 'CLUSTER_ADDR') ?? config.clusterAddr;
  return {
    ...(apiAddr !== undefined ? { apiAddr } : {}),
    ...(clusterAddr !== undefined ? { clusterAddr } : {}),
    disableClustering: config.disableClustering,
  };
}

function fromEnv(env: NodeJS.ProcessEnv, suffix: string): string | undefined {
  for (const name of [`COFFER_${suffix}`, `VAULT_${suffix}`]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!/^https?:\/\/[^/]/.test(value)) {
      throw new Error(`invalid ${name} "${value}": expected a URL such as https://coffer-1.internal:8200`);
    }
    return value.replace(/\/+$/, '');
  }
  return undefined;
}
