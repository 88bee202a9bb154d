/**
 * `config`: the directory to authenticate against and how to find users and
 * their groups, with Vault's field names and defaults. A write changes only
 * the fields it sets. `bindpass` and `client_tls_key` are never read back.
 */
import {
  badRequest,
  definePath,
  describeTokenSettings,
  readTokenSettings,
  TOKEN_FIELDS,
  type FieldData,
  type PathDefinition,
  type FieldMap,
  type Response,
  type Storage,
  type TokenSettings,
} from '@coffer/sdk';
import { DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, DEREFERENCE_ALIASES, TLS_VERSIONS, defaultConfig, readConfig, writeConfig, type LdapConfig } from './config.js';
import { configProblem, configWarnings } from './config-validation.js';

const CONFIG_FIELDS = {
  url: { type: 'string', description: 'LDAP URLs to connect to, separated by commas and tried in order, e.g. "ldaps://ldap.example.com".' },
  binddn: { type: 'string', description: 'DN of the service account that searches for users and groups.' },
  bindpass: { type: 'string', description: 'Password of "binddn". Never returned on read.' },
  userdn: { type: 'string', description: 'Base DN under which users are searched, e.g. "ou=Users,dc=example,dc=com".' },
  userattr: { type: 'string', description: 'Attribute of the user entry that matches the login name, e.g. "cn", "uid" or "sAMAccountName".' },
  userfilter: { type: 'string', description: `Template of the user search filter with {{.UserAttr}} and {{.Username}}. Default: ${DEFAULT_USER_FILTER}` },
  upndomain: { type: 'string', description: 'Domain of the userPrincipalName: users bind as "<username>@<upndomain>".' },
  groupdn: { type: 'string', description: 'Base DN of the group search, e.g. "ou=Groups,dc=example,dc=com".' },
  groupfilter: { type: 'string', description: `Template of the group search filter with {{.UserDN}} and {{.Username}}. Default: ${DEFAULT_GROUP_FILTER}` },
  groupattr: { type: 'string', description: 'Attribute that names the groups on the entries the group filter returns, e.g. "cn" or "memberOf".' },
  starttls: { type: 'bool', description: 'Upgrade ldap:// connections with StartTLS.' },
  insecure_tls: { type: 'bool', description: 'Skip verification of the server certificate. Insecure.' },
  tls_min_version: { type: 'string', description: 'Minimum TLS version: tls10, tls11, tls12 or tls13.', allowedValues: TLS_VERSIONS },
  tls_max_version: { type: 'string', description: 'Maximum TLS version: tls10, tls11, tls12 or tls13.', allowedValues: TLS_VERSIONS },
  certificate: { type: 'string', description: 'PEM CA certificate that verifies the server certificate.' },
  client_tls_cert: { type: 'string', description: 'PEM client certificate presented to the server.' },
  client_tls_key: { type: 'string', description: 'PEM key of "client_tls_cert". Never returned on read.' },
  discoverdn: { type: 'bool', description: 'Find the user bind DN with a search, anonymous unless "binddn" is set.' },
  deny_null_bind: { type: 'bool', description: 'Reject logins with an empty password before any bind. Default: true.' },
  anonymous_group_search: { type: 'bool', description: 'Search groups on a new connection that does not bind.' },
  case_sensitive_names: { type: 'bool', description: 'Match user and group names to local entries case-sensitively.' },
  username_as_alias: { type: 'bool', description: 'Use the login name as the entity alias instead of the "userattr" value.' },
  request_timeout: { type: 'duration', description: 'Time an LDAP operation may take, e.g. "90s"; 0 waits forever. Default: 90s.' },
  connection_timeout: { type: 'duration', description: 'Time a connection may take before the next URL is tried; 0 waits forever. Default: 30s.' },
  dereference_aliases: { type: 'string', description: 'When searches dereference aliases: never, finding, searching or always.', allowedValues: DEREFERENCE_ALIASES },
  max_page_size: { type: 'int', description: 'Page size of the group search; 0 turns paging off.' },
  ...TOKEN_FIELDS,
} as const;

type ConfigFields = typeof CONFIG_FIELDS;

/** Serializes config writes of this mount, which read, merge and write back. */
export class ConfigLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(action: () => Promise<T>): Promise<T> {
    const result = this.tail.then(action);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export function pathConfig(lock: ConfigLock): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config',
    fields: CONFIG_FIELDS,
    operations: {
      read: async (request) => {
        const config = await readConfig(request.storage);
        if (config === null) return null;
        return { data: describeConfig(config), warnings: configWarnings(config) };
      },
      update: (request, fields) => lock.run(() => updateConfig(request.storage, fields)),
    },
    helpSynopsis: 'Configure the LDAP server and how users and groups are found.',
    helpDescription: `
url names the servers. Users are found by binding as <userattr>=<username>,<userdn>,
as <username>@<upndomain>, or by a search under userdn with userfilter (with
binddn/bindpass or, with discoverdn, anonymously). Groups are entries under
groupdn that match groupfilter, named by groupattr. A groupfilter with the
LDAP_MATCHING_RULE_IN_CHAIN rule (1.2.840.113556.1.4.1941) finds nested groups
on any server.`,
  });
}

async function updateConfig(storage: Storage, fields: FieldData<ConfigFields>): Promise<Response | null> {
  const existing = await readConfig(storage);
  const token = tokenSettings(fields, existing?.token);
  const config = { ...mergeConfig(existing ?? defaultConfig(token), fields), token };
  const problem = configProblem(config);
  if (problem !== null) throw badRequest(problem);

  await writeConfig(storage, config);
  const warnings = configWarnings(config);
  return warnings.length > 0 ? { warnings } : null;
}

/** Reads the `token_*` fields over `existing`. @throws CofferError (400) naming the invalid field. */
function tokenSettings(fields: FieldData<ConfigFields>, existing: TokenSettings | undefined): TokenSettings {
  try {
    return readTokenSettings(fields, existing);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** Applies the fields a request set over `base`. */
function mergeConfig(base: LdapConfig, fields: FieldData<ConfigFields>): LdapConfig {
  const pick = <K extends keyof ConfigFields & string, V>(name: K, current: V): V => (fields.has(name) ? (fields.get(name) as V) : current);
  return {
    ...base,
    url: pick('url', base.url).toLowerCase(),
    binddn: pick('binddn', base.binddn),
    bindpass: pick('bindpass', base.bindpass),
    userdn: pick('userdn', base.userdn),
    userattr: pick('userattr', base.userattr).toLowerCase(),
    userfilter: pick('userfilter', base.userfilter),
    upndomain: pick('upndomain', base.upndomain),
    groupdn: pick('groupdn', base.groupdn),
    groupfilter: pick('groupfilter', base.groupfilter),
    groupattr: pick('groupattr', base.groupattr),
    starttls: pick('starttls', base.starttls),
    insecureTls: pick('insecure_tls', base.insecureTls),
    tlsMinVersion: pick('tls_min_version', base.tlsMinVersion),
    tlsMaxVersion: pick('tls_max_version', base.tlsMaxVersion),
    certificate: pick('certificate', base.certificate),
    clientTlsCert: pick('client_tls_cert', base.clientTlsCert),
    clientTlsKey: pick('client_tls_key', base.clientTlsKey),
    discoverdn: pick('discoverdn', base.discoverdn),
    denyNullBind: pick('deny_null_bind', base.denyNullBind),
    anonymousGroupSearch: pick('anonymous_group_search', base.anonymousGroupSearch),
    caseSensitiveNames: pick('case_sensitive_names', base.caseSensitiveNames),
    usernameAsAlias: pick('username_as_alias', base.usernameAsAlias),
    requestTimeout: pick('request_timeout', base.requestTimeout),
    connectionTimeout: pick('connection_timeout', base.connectionTimeout),
    dereferenceAliases: pick('dereference_aliases', base.dereferenceAliases),
    maxPageSize: pick('max_page_size', base.maxPageSize),
  };
}

/** The config as Vault's read returns it, without `bindpass` and `client_tls_key`. */
function describeConfig(config: LdapConfig): Record<string, unknown> {
  return {
    url: config.url,
    binddn: config.binddn,
    userdn: config.userdn,
    userattr: config.userattr,
    userfilter: config.userfilter,
    upndomain: config.upndomain,
    groupdn: config.groupdn,
    groupfilter: config.groupfilter,
    groupattr: config.groupattr,
    starttls: config.starttls,
    insecure_tls: config.insecureTls,
    tls_min_version: config.tlsMinVersion,
    tls_max_version: config.tlsMaxVersion,
    certificate: config.certificate,
    client_tls_cert: config.clientTlsCert,
    discoverdn: config.discoverdn,
    deny_null_bind: config.denyNullBind,
    anonymous_group_search: config.anonymousGroupSearch,
    case_sensitive_names: config.caseSensitiveNames,
    username_as_alias: config.usernameAsAlias,
    request_timeout: config.requestTimeout,
    connection_timeout: config.connectionTimeout,
    dereference_aliases: config.dereferenceAliases,
    max_page_size: config.maxPageSize,
    ...describeTokenSettings(config.token),
  };
}
