/**
 * The `seal "gcpckms"` stanza. Names and environment variables are Vault's:
 * `project` (GOOGLE_PROJECT), `region` (GOOGLE_REGION), `key_ring`
 * (VAULT_GCPCKMS_SEAL_KEY_RING), `crypto_key` (VAULT_GCPCKMS_SEAL_CRYPTO_KEY)
 * and `credentials`, a service account key file (GOOGLE_CREDENTIALS or
 * GOOGLE_APPLICATION_CREDENTIALS). An environment variable wins over the
 * stanza. Without a key file, Google's application default credentials
 * are used.
 *
 * `endpoint` is a Coffer addition: the KMS API address as host:port, for a
 * private endpoint. An `http://` URL selects a plaintext channel without
 * credentials, which only local emulators and test doubles accept.
 */

export const GCPCKMS_SETTINGS = ['project', 'region', 'key_ring', 'crypto_key', 'credentials', 'endpoint'] as const;

type SettingName = (typeof GCPCKMS_SETTINGS)[number];

const ENVIRONMENT: Partial<Record<SettingName, string[]>> = {
  project: ['GOOGLE_PROJECT'],
  region: ['GOOGLE_REGION'],
  key_ring: ['VAULT_GCPCKMS_SEAL_KEY_RING'],
  crypto_key: ['VAULT_GCPCKMS_SEAL_CRYPTO_KEY'],
  credentials: ['GOOGLE_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'],
};

/** Vault's default location for this seal. */
const DEFAULT_REGION = 'global';

export interface GcpCkmsSettings {
  /** Full crypto key name: `projects/P/locations/L/keyRings/R/cryptoKeys/K`. */
  keyName: string;
  /** Path of a service account key file; application default credentials when absent. */
  credentialsFile?: string;
  endpoint?: { host: string; port: number; plaintext: boolean };
}

/** Error for a bad stanza; the message names the setting. */
export class GcpCkmsSettingsError extends Error {
  override name = 'GcpCkmsSettingsError';
}

function lookup(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>): string | undefined {
  for (const variable of ENVIRONMENT[name] ?? []) {
    const value = env[variable];
    if (value !== undefined && value !== '') return value;
  }
  const value = settings[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>): string {
  const value = lookup(name, settings, env);
  if (value === undefined) {
    throw new GcpCkmsSettingsError(`seal "gcpckms": missing required setting "${name}": set it in the stanza or set ${ENVIRONMENT[name]!.join(' or ')}`);
  }
  if (value.includes('/')) throw new GcpCkmsSettingsError(`seal "gcpckms": invalid "${name}" "${value}": it must not contain "/"`);
  return value;
}

/**
 * Reads the stanza and the environment.
 * @throws GcpCkmsSettingsError naming the missing or invalid setting.
 */
export function parseGcpCkmsSettings(settings: Record<string, string>, env: Record<string, string | undefined>): GcpCkmsSettings {
  const project = required('project', settings, env);
  const region = lookup('region', settings, env) ?? DEFAULT_REGION;
  const keyRing = required('key_ring', settings, env);
  const cryptoKey = required('crypto_key', settings, env);
  const parsed: GcpCkmsSettings = { keyName: `projects/${project}/locations/${region}/keyRings/${keyRing}/cryptoKeys/${cryptoKey}` };

  const credentialsFile = lookup('credentials', settings, env);
  if (credentialsFile !== undefined) parsed.credentialsFile = credentialsFile;
  const endpoint = lookup('endpoint', settings, env);
  if (endpoint !== undefined) parsed.endpoint = parseEndpoint(endpoint);
  return parsed;
}

function parseEndpoint(text: string): { host: string; port: number; plaintext: boolean } {
  const plaintext = text.startsWith('http://');
  const address = text.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const match = /^(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?$/.exec(address);
  if (match === null) {
    throw new GcpCkmsSettingsError(`seal "gcpckms": invalid "endpoint" "${text}": expected host:port, e.g. cloudkms.googleapis.com:443`);
  }
  const defaultPort = plaintext ? 80 : 443;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) throw new GcpCkmsSettingsError(`seal "gcpckms": invalid "endpoint" "${text}": the port must be 1 to 65535`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port, plaintext };
}
