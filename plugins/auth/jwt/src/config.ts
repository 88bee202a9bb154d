/**
 * The mount's configuration as stored at `config`: where the keys that sign
 * tokens come from, and the OIDC client for browser logins. The client
 * secret is stored here, behind the barrier, and never returned by a read.
 */
import type { Storage } from '@coffer/sdk';

export interface ConfigEntry {
  /** Issuer URL whose `/.well-known/openid-configuration` names the key set. */
  oidcDiscoveryUrl: string;
  oidcDiscoveryCaPem: string;
  /** Client ID and secret of this mount at the provider, for `oidc` roles. */
  oidcClientId: string;
  oidcClientSecret: string;
  jwksUrl: string;
  jwksCaPem: string;
  /** PEM public keys or certificates that verify tokens locally. */
  jwtValidationPubkeys: string[];
  /** JWS `alg` values a token may use; empty takes the role type's default. */
  jwtSupportedAlgs: string[];
  /** Required value of the `iss` claim; empty skips the check for static keys and JWKS. */
  boundIssuer: string;
  /** Role of a login that names none. */
  defaultRole: string;
}

/** The key source a configuration uses, one of three. */
export type KeySourceKind = 'static' | 'jwks' | 'discovery';

const CONFIG_KEY = 'config';

export async function readConfig(storage: Storage): Promise<ConfigEntry | null> {
  const entry = await storage.get(CONFIG_KEY);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as ConfigEntry);
}

export async function writeConfig(storage: Storage, config: ConfigEntry): Promise<void> {
  await storage.put({ key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config)) });
}

/** Returns the key source the configuration sets; config writes allow exactly one. */
export function keySourceKind(config: ConfigEntry): KeySourceKind {
  if (config.jwtValidationPubkeys.length > 0) return 'static';
  if (config.jwksUrl !== '') return 'jwks';
  return 'discovery';
}

/** Returns true when the configuration can run the browser flow: discovery plus a client. */
export function hasOidcClient(config: ConfigEntry): boolean {
  return config.oidcDiscoveryUrl !== '' && config.oidcClientId !== '' && config.oidcClientSecret !== '';
}

/** Formats the configuration as the read endpoint returns it, without the client secret. */
export function describeConfig(config: ConfigEntry): Record<string, unknown> {
  return {
    oidc_discovery_url: config.oidcDiscoveryUrl,
    oidc_discovery_ca_pem: config.oidcDiscoveryCaPem,
    oidc_client_id: config.oidcClientId,
    jwks_url: config.jwksUrl,
    jwks_ca_pem: config.jwksCaPem,
    jwt_validation_pubkeys: config.jwtValidationPubkeys,
    jwt_supported_algs: config.jwtSupportedAlgs,
    bound_issuer: config.boundIssuer,
    default_role: config.defaultRole,
  };
}
