// The API client the agent uses, built from the `vault` stanza. As in Vault
// Agent, COFFER_ADDR or VAULT_ADDR overrides the stanza's address.
import type { ClientConfig } from '../client.js';
import { defaultAddress, envSetting, resolveClientConfig } from '../client.js';
import type { ServerConnection } from './config.js';

/**
 * Resolves the connection settings of the agent. The agent never sends a
 * token from the environment or the CLI's token file: every request carries
 * the auto-auth token or the token of the proxied request.
 */
export async function agentClientConfig(server: ServerConnection, env: Record<string, string | undefined>): Promise<ClientConfig> {
  const address = envSetting(env, 'ADDR') ?? server.address ?? defaultAddress;
  // The stanza's TLS settings win over the environment's, as they would as CLI flags.
  const overrides: Parameters<typeof resolveClientConfig>[1] = { address, skipVerify: server.tlsSkipVerify };
  if (server.caCert !== undefined) overrides.caCertPath = server.caCert;
  if (server.caPath !== undefined) overrides.caPath = server.caPath;
  if (server.clientCert !== undefined) overrides.clientCertPath = server.clientCert;
  if (server.clientKey !== undefined) overrides.clientKeyPath = server.clientKey;
  if (server.tlsServerName !== undefined) overrides.tlsServerName = server.tlsServerName;
  // A placeholder token keeps resolveClientConfig from reading the CLI's token file; it is replaced below.
  const agentEnv = { ...env, COFFER_TOKEN: 'unused', COFFER_WRAP_TTL: undefined, VAULT_WRAP_TTL: undefined };
  const config = await resolveClientConfig(agentEnv, overrides);
  return { ...config, token: '', wrapTtl: 0 };
}
