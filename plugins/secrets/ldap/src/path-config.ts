/**
 * `config` (read, write, delete) and `rotate-root`: the directory the
 * engine manages and the account it binds as.
 */
import { X509Certificate } from 'node:crypto';
import { badRequest, definePath, type FieldData, type FieldMap, type PathDefinition, type Request, type Storage } from '@coffer/sdk';
import { connect, withDirectory, canBind } from './directory.js';
import { directoryCall, requireConfig, type EngineDeps } from './deps.js';
import { newPassword, DEFAULT_PASSWORD_LENGTH } from './password.js';
import { CONFIG_KEY, readConfig, writeConfig, type LdapConfig } from './store.js';

/** The write-ahead log kind of a bind password being rotated. */
export const WAL_KIND_ROOT = 'root-rotation';

/** Shortest `length` accepted; shorter passwords are too easy to guess. */
const MIN_PASSWORD_LENGTH = 8;

const CONFIG_FIELDS = {
  binddn: { type: 'string', description: 'DN of the account the engine binds as to search entries and change passwords.' },
  bindpass: { type: 'string', description: 'Password of that account. Stored encrypted and never returned.' },
  url: { type: 'string', description: 'Comma-separated ldap:// or ldaps:// URLs, tried in order until one connects.', default: 'ldap://127.0.0.1' },
  userdn: { type: 'string', description: 'Base DN under which static roles and library sets search for accounts by userattr.' },
  userattr: { type: 'string', description: 'Attribute that contains the account name in those searches; "cn" for the openldap schema.' },
  upndomain: { type: 'string', description: 'Domain of userPrincipalName bind names, e.g. "example.com".' },
  schema: { type: 'string', description: 'Kind of directory and so how passwords are stored: "openldap" ("ad" and "racf" are not supported yet).', default: 'openldap' },
  password_policy: { type: 'string', description: 'Name of a password policy under sys/policies/password for generated passwords.' },
  length: { type: 'int', description: 'Deprecated: length of generated passwords under the default rules (64 when unset). Cannot be set with password_policy.' },
  request_timeout: { type: 'duration', description: 'Time an operation on the directory may take, in seconds or as a duration.', default: 90 },
  connection_timeout: { type: 'duration', description: 'Time a connection to one URL may take before the next URL is tried, in seconds or as a duration.', default: 30 },
  starttls: { type: 'bool', description: 'Upgrade ldap:// connections with StartTLS.' },
  insecure_tls: { type: 'bool', description: "Skip verification of the server's certificate. Insecure." },
  certificate: { type: 'string', description: "PEM of the CA certificates that sign the server's certificate." },
  client_tls_cert: { type: 'string', description: 'PEM of a client certificate to present to the server.' },
  client_tls_key: { type: 'string', description: 'PEM private key of that certificate. Stored encrypted and never returned.' },
} as const;

type ConfigFields = FieldData<typeof CONFIG_FIELDS>;

export function pathConfig(deps: EngineDeps): PathDefinition<FieldMap> {
  const write = (request: Request, fields: ConfigFields) => deps.locks.run(CONFIG_KEY, () => writeConfigEntry(request, fields));
  return definePath({
    pattern: 'config',
    fields: CONFIG_FIELDS,
    existenceCheck: async (request) => (await readConfig(request.storage)) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request) => {
        const config = await readConfig(request.storage);
        return config === null ? null : { data: configResponse(config) };
      },
      delete: async (request) => {
        await deps.locks.run(CONFIG_KEY, () => request.storage.delete(CONFIG_KEY));
        return null;
      },
    },
    helpSynopsis: 'Configure the directory and the account the engine binds as.',
    helpDescription: `
Sets the directory URLs, TLS settings and the bind account, which needs the
rights to search entries and change their passwords. A write binds with the
new settings first and is rejected when the bind fails. An update keeps the
fields it does not set. Reading the config never returns bindpass or
client_tls_key.`,
  });
}

export function pathRotateRoot(deps: EngineDeps): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'rotate-root',
    fields: {},
    operations: {
      update: async (request) => {
        await deps.locks.run(CONFIG_KEY, () => rotateRoot(deps, request.storage));
        return null;
      },
    },
    helpSynopsis: "Set a new password for the bind account that only the engine knows.",
    helpDescription: `
Generates a password, sets it on the binddn entry in the directory and stores
it in the config. Afterwards nobody but the engine knows the bind password.`,
  });
}

function configResponse(config: LdapConfig): Record<string, unknown> {
  const data: Record<string, unknown> = {
    binddn: config.binddn,
    url: config.url,
    userdn: config.userdn,
    userattr: config.userattr,
    upndomain: config.upndomain,
    schema: config.schema,
    password_policy: config.passwordPolicy,
    length: config.passwordPolicy === '' && config.length === 0 ? DEFAULT_PASSWORD_LENGTH : config.length,
    request_timeout: config.requestTimeout,
    connection_timeout: config.connectionTimeout,
    starttls: config.starttls,
    insecure_tls: config.insecureTls,
    certificate: config.certificate,
    client_tls_cert: config.clientTlsCert,
  };
  if (config.lastBindPasswordRotation > 0) data.last_bind_password_rotation = new Date(config.lastBindPasswordRotation).toISOString();
  return data;
}

async function writeConfigEntry(request: Request, fields: ConfigFields): Promise<null> {
  const existing = await readConfig(request.storage);

  const config: LdapConfig = {
    binddn: (fields.getIfSet('binddn') ?? existing?.binddn ?? '').trim(),
    bindpass: fields.getIfSet('bindpass') ?? existing?.bindpass ?? '',
    url: (fields.getIfSet('url') ?? existing?.url ?? fields.get('url')).trim(),
    userdn: fields.getIfSet('userdn') ?? existing?.userdn ?? '',
    userattr: fields.getIfSet('userattr') ?? existing?.userattr ?? '',
    upndomain: fields.getIfSet('upndomain') ?? existing?.upndomain ?? '',
    schema: checkSchema(fields.getIfSet('schema') ?? existing?.schema ?? fields.get('schema')),
    passwordPolicy: fields.getIfSet('password_policy') ?? existing?.passwordPolicy ?? '',
    length: fields.getIfSet('length') ?? existing?.length ?? 0,
    requestTimeout: fields.getIfSet('request_timeout') ?? existing?.requestTimeout ?? fields.get('request_timeout'),
    connectionTimeout: fields.getIfSet('connection_timeout') ?? existing?.connectionTimeout ?? fields.get('connection_timeout'),
    starttls: fields.getIfSet('starttls') ?? existing?.starttls ?? false,
    insecureTls: fields.getIfSet('insecure_tls') ?? existing?.insecureTls ?? false,
    certificate: fields.getIfSet('certificate') ?? existing?.certificate ?? '',
    clientTlsCert: fields.getIfSet('client_tls_cert') ?? existing?.clientTlsCert ?? '',
    clientTlsKey: fields.getIfSet('client_tls_key') ?? existing?.clientTlsKey ?? '',
    lastBindPasswordRotation: existing?.lastBindPasswordRotation ?? 0,
  };
  if (config.userattr === '') config.userattr = 'cn';
  checkConfig(config, fields);

  // Nothing is stored unless the directory accepts the bind account.
  try {
    const directory = await connect(config, config.binddn, config.bindpass);
    await directory.close();
  } catch (err) {
    throw badRequest(`failed to bind with the new config: ${(err as Error).message}`);
  }

  await writeConfig(request.storage, config);
  return null;
}

function checkSchema(schema: string): 'openldap' {
  if (schema === 'openldap') return schema;
  if (schema === 'ad' || schema === 'racf') throw badRequest(`invalid field "schema": schema "${schema}" is not supported yet; use "openldap"`);
  throw badRequest(`invalid field "schema": "${schema}" is not a schema; use "openldap"`);
}

/** @throws CofferError (400) naming the first invalid field. */
function checkConfig(config: LdapConfig, fields: ConfigFields): void {
  if (config.binddn === '') throw badRequest('missing required field "binddn"');
  if (config.bindpass === '') throw badRequest('missing required field "bindpass"');
  checkUrls(config.url);
  if (fields.has('length') && fields.has('password_policy') && config.length !== 0 && config.passwordPolicy !== '') {
    throw badRequest('invalid field "length": cannot be set together with "password_policy"; set one of them');
  }
  // An update may set one of the two while the other is stored; the one it sets wins.
  if (fields.has('password_policy') && config.passwordPolicy !== '') config.length = 0;
  if (fields.has('length') && config.length !== 0) config.passwordPolicy = '';
  if (config.length !== 0 && config.length < MIN_PASSWORD_LENGTH) {
    throw badRequest(`invalid field "length": ${config.length} is shorter than the minimum of ${MIN_PASSWORD_LENGTH}`);
  }
  if (config.requestTimeout <= 0) throw badRequest('invalid field "request_timeout": must be greater than 0');
  if (config.connectionTimeout <= 0) throw badRequest('invalid field "connection_timeout": must be greater than 0');
  if (config.certificate !== '') checkPem('certificate', config.certificate);
  if ((config.clientTlsCert === '') !== (config.clientTlsKey === '')) {
    throw badRequest('invalid field "client_tls_cert": "client_tls_cert" and "client_tls_key" must be set together');
  }
  if (config.clientTlsCert !== '') checkPem('client_tls_cert', config.clientTlsCert);
}

function checkUrls(urls: string): void {
  const parts = urls.split(',').map((part) => part.trim());
  for (const part of parts) {
    if (part === '') throw badRequest('invalid field "url": empty URL in the list');
    let parsed: URL;
    try {
      parsed = new URL(part);
    } catch {
      throw badRequest(`invalid field "url": "${part}" is not a URL`);
    }
    if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') {
      throw badRequest(`invalid field "url": scheme "${parsed.protocol.slice(0, -1)}" of "${part}" is not ldap or ldaps`);
    }
    if (parsed.hostname === '') throw badRequest(`invalid field "url": "${part}" has no host`);
    if (parsed.username !== '' || parsed.password !== '') throw badRequest('invalid field "url": a URL must not contain credentials; set "binddn" and "bindpass" instead');
  }
}

function checkPem(field: string, pem: string): void {
  try {
    new X509Certificate(pem);
  } catch {
    throw badRequest(`invalid field "${field}": not a PEM-encoded X.509 certificate`);
  }
}

/**
 * Sets a new bind password in the directory, then in the config. A crash
 * between the two leaves a write-ahead record that {@link rollForwardRoot} finishes.
 */
async function rotateRoot(deps: EngineDeps, storage: Storage): Promise<void> {
  const config = await requireConfig(storage);
  const password = await newPassword(deps.system, config);
  const walId = await deps.wal.put(WAL_KIND_ROOT, { password });

  await directoryCall(() => withDirectory(config, config.binddn, config.bindpass, (directory) => directory.setPassword(config.binddn, password), [password]));
  await writeConfig(storage, { ...config, bindpass: password, lastBindPasswordRotation: Date.now() });
  await deps.wal.delete(walId);
  deps.logger.info({ binddn: config.binddn }, 'ldap bind password rotated');
}

/** Stores the password of an interrupted root rotation when the directory accepts it. */
export async function rollForwardRoot(deps: EngineDeps, storage: Storage, password: string): Promise<void> {
  await deps.locks.run(CONFIG_KEY, async () => {
    const config = await readConfig(storage);
    if (config === null || config.bindpass === password) return;
    if (!(await canBind(config, config.binddn, password))) return;
    await writeConfig(storage, { ...config, bindpass: password, lastBindPasswordRotation: Date.now() });
  });
}
