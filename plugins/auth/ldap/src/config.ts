/**
 * The mount's LDAP configuration, its defaults (Vault's) and its storage
 * entry. The entry contains `bindpass` and `client_tls_key`, so it is read only
 * through this module and never returned whole.
 */
import type { Storage, TokenSettings } from '@coffer/sdk';

export const TLS_VERSIONS = ['tls10', 'tls11', 'tls12', 'tls13'] as const;
export type TlsVersionName = (typeof TLS_VERSIONS)[number];

export const DEREFERENCE_ALIASES = ['never', 'finding', 'searching', 'always'] as const;
export type DereferenceAliases = (typeof DEREFERENCE_ALIASES)[number];

/** Vault's default group filter: posixGroup, groupOfNames and groupOfUniqueNames membership. */
export const DEFAULT_GROUP_FILTER = '(|(memberUid={{.Username}})(member={{.UserDN}})(uniqueMember={{.UserDN}}))';
export const DEFAULT_USER_FILTER = '({{.UserAttr}}={{.Username}})';

export interface LdapConfig {
  /** Comma-separated LDAP URLs, tried in order; lowercased as Vault does. */
  url: string;
  binddn: string;
  bindpass: string;
  userdn: string;
  /** Lowercased as Vault does. */
  userattr: string;
  userfilter: string;
  upndomain: string;
  groupdn: string;
  groupfilter: string;
  groupattr: string;
  starttls: boolean;
  insecureTls: boolean;
  tlsMinVersion: TlsVersionName;
  tlsMaxVersion: TlsVersionName;
  /** PEM CA certificate that verifies the server. */
  certificate: string;
  clientTlsCert: string;
  clientTlsKey: string;
  discoverdn: boolean;
  denyNullBind: boolean;
  anonymousGroupSearch: boolean;
  caseSensitiveNames: boolean;
  usernameAsAlias: boolean;
  /** Seconds an LDAP operation may take; 0 waits forever. */
  requestTimeout: number;
  /** Seconds a connection, with its TLS handshake, may take before the next URL is tried; 0 waits forever. */
  connectionTimeout: number;
  dereferenceAliases: DereferenceAliases;
  /** Page size of the group search; 0 turns paging off. */
  maxPageSize: number;
  token: TokenSettings;
}

export function defaultConfig(token: TokenSettings): LdapConfig {
  return {
    url: 'ldap://127.0.0.1',
    binddn: '',
    bindpass: '',
    userdn: '',
    userattr: 'cn',
    userfilter: DEFAULT_USER_FILTER,
    upndomain: '',
    groupdn: '',
    groupfilter: DEFAULT_GROUP_FILTER,
    groupattr: 'cn',
    starttls: false,
    insecureTls: false,
    tlsMinVersion: 'tls12',
    tlsMaxVersion: 'tls12',
    certificate: '',
    clientTlsCert: '',
    clientTlsKey: '',
    discoverdn: false,
    denyNullBind: true,
    anonymousGroupSearch: false,
    caseSensitiveNames: false,
    usernameAsAlias: false,
    requestTimeout: 90,
    connectionTimeout: 30,
    dereferenceAliases: 'never',
    maxPageSize: 0,
    token,
  };
}

const CONFIG_KEY = 'config';

/** Returns the stored configuration, or `null` before the first write. */
export async function readConfig(storage: Storage): Promise<LdapConfig | null> {
  const entry = await storage.get(CONFIG_KEY);
  if (entry === null) return null;
  return JSON.parse(entry.value.toString('utf8')) as LdapConfig;
}

export async function writeConfig(storage: Storage, config: LdapConfig): Promise<void> {
  await storage.put({ key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config), 'utf8') });
}

/**
 * Returns why a login cannot derive the user's bind DN, or `null` when it
 * can: it needs `discoverdn`, `binddn` with `bindpass`, `upndomain` or `userdn`.
 */
export function bindDnProblem(config: LdapConfig): string | null {
  const canSearch = config.discoverdn || (config.binddn !== '' && config.bindpass !== '');
  if (canSearch || config.upndomain !== '' || config.userdn !== '') return null;
  return 'cannot derive the user bind DN: set "userdn", "upndomain", "discoverdn" or both "binddn" and "bindpass"';
}
