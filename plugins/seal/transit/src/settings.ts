/**
 * The `seal "transit"` stanza: another Coffer or Vault server's transit
 * engine stores the key. Names and environment variables are Vault's:
 * `address` (VAULT_ADDR), `token` (VAULT_TOKEN), `key_name`
 * (VAULT_TRANSIT_SEAL_KEY_NAME), `mount_path` (VAULT_TRANSIT_SEAL_MOUNT_PATH)
 * and the `tls_*` settings. As in Vault's transit seal, an environment
 * variable wins over the stanza, so the token can stay out of the file.
 */
import { readFileSync } from 'node:fs';

export const TRANSIT_SETTINGS = [
  'address',
  'token',
  'key_name',
  'mount_path',
  'namespace',
  'disable_renewal',
  'tls_ca_cert',
  'tls_client_cert',
  'tls_client_key',
  'tls_server_name',
  'tls_skip_verify',
] as const;

type SettingName = (typeof TRANSIT_SETTINGS)[number];

/** Environment variables that set each setting, in order of precedence. */
const ENVIRONMENT: Partial<Record<SettingName, string[]>> = {
  address: ['VAULT_ADDR'],
  token: ['VAULT_TOKEN'],
  key_name: ['VAULT_TRANSIT_SEAL_KEY_NAME'],
  mount_path: ['VAULT_TRANSIT_SEAL_MOUNT_PATH'],
  namespace: ['VAULT_NAMESPACE'],
  tls_ca_cert: ['VAULT_CACERT'],
  tls_client_cert: ['VAULT_CLIENT_CERT'],
  tls_client_key: ['VAULT_CLIENT_KEY'],
  tls_server_name: ['VAULT_TLS_SERVER_NAME'],
  tls_skip_verify: ['VAULT_SKIP_VERIFY'],
};

export interface TransitSettings {
  /** Base URL without a trailing slash, e.g. `https://coffer-2:8200`. */
  address: string;
  token: string;
  keyName: string;
  /** Mount path without slashes at either end, e.g. `transit`. */
  mountPath: string;
  namespace?: string;
  tls: {
    /** PEM CA bundle contents. */
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    serverName?: string;
    skipVerify: boolean;
  };
}

/** Error for a bad stanza; the message names the setting and never contains the token. */
export class TransitSettingsError extends Error {
  override name = 'TransitSettingsError';
}

function lookup(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>): string | undefined {
  for (const variable of ENVIRONMENT[name] ?? []) {
    const value = env[variable];
    if (value !== undefined && value !== '') return value;
  }
  const value = settings[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>, hint: string): string {
  const value = lookup(name, settings, env);
  if (value === undefined) {
    const variables = ENVIRONMENT[name]?.join(' or ') ?? '';
    throw new TransitSettingsError(`seal "transit": missing required setting "${name}": ${hint}, or set ${variables}`);
  }
  return value;
}

function parseBool(name: SettingName, text: string | undefined): boolean {
  if (text === undefined) return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new TransitSettingsError(`seal "transit": invalid "${name}" "${text}": use true or false`);
}

function readPem(name: SettingName, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TransitSettingsError(`seal "transit": invalid "${name}": cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Checks the stanza's settings and returns them typed.
 * @throws TransitSettingsError naming the setting and the fix.
 */
export function parseTransitSettings(settings: Record<string, string>, env: Record<string, string | undefined>): TransitSettings {
  const address = required('address', settings, env, 'the URL of the server with the transit engine');
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new TransitSettingsError(`seal "transit": invalid "address" "${address}": use a URL such as https://127.0.0.1:8200`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TransitSettingsError(`seal "transit": invalid "address" "${address}": the scheme must be http or https`);
  }

  const mountPath = required('mount_path', settings, env, 'the path the transit engine is mounted at, e.g. transit/').replace(/^\/+|\/+$/g, '');
  const parsed: TransitSettings = {
    address: address.replace(/\/+$/, ''),
    token: required('token', settings, env, 'a token allowed to encrypt and decrypt with the key'),
    keyName: required('key_name', settings, env, 'the name of the transit key'),
    mountPath,
    tls: {
      skipVerify: parseBool('tls_skip_verify', lookup('tls_skip_verify', settings, env)),
    },
  };
  // disable_renewal is accepted for Vault compatibility; this seal does not renew its token.
  parseBool('disable_renewal', lookup('disable_renewal', settings, env));

  const namespace = lookup('namespace', settings, env);
  if (namespace !== undefined) parsed.namespace = namespace;
  const ca = readPem('tls_ca_cert', lookup('tls_ca_cert', settings, env));
  if (ca !== undefined) parsed.tls.ca = ca;
  const cert = readPem('tls_client_cert', lookup('tls_client_cert', settings, env));
  const key = readPem('tls_client_key', lookup('tls_client_key', settings, env));
  if ((cert === undefined) !== (key === undefined)) {
    throw new TransitSettingsError('seal "transit": "tls_client_cert" and "tls_client_key" must be set together');
  }
  if (cert !== undefined && key !== undefined) {
    parsed.tls.cert = cert;
    parsed.tls.key = key;
  }
  const serverName = lookup('tls_server_name', settings, env);
  if (serverName !== undefined) parsed.tls.serverName = serverName;
  return parsed;
}
