/**
 * `config/:name` (create, read, update, delete), `config/` (LIST) and
 * `reset/:name`: the connections to databases, as Vault's database engine
 * has them. Fields the engine does not know are the plugin's connection
 * settings, such as `connection_url`, `username` and `password`.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import type { Connections } from './connections.js';
import { CONFIG_PREFIX, listNames, readConnection, writeConnection, type ConnectionConfig } from './store.js';

const NAME_FIELD = { type: 'string', description: 'Name of the connection.', required: true } as const;

const CONFIG_FIELDS = {
  name: NAME_FIELD,
  plugin_name: { type: 'string', description: 'Database plugin to use, e.g. "postgresql-database-plugin". Required when creating.' },
  plugin_version: { type: 'string', description: 'Catalog version of the plugin; empty takes the built-in or the highest registered version.' },
  verify_connection: { type: 'bool', description: 'Connect once on write and reject the settings when that fails.', default: true },
  allowed_roles: { type: 'comma_string_slice', description: 'Roles that may use this connection, as names or globs such as "app-*". "*" allows all, and an empty list none.' },
  root_rotation_statements: { type: 'string_slice', description: 'Statements rotate-root runs; empty takes the plugin default.' },
  password_policy: { type: 'string', description: 'Name of a password policy under sys/policies/password for the passwords the engine sets; empty takes the default policy.' },
} as const;

/** Keys of a write that are the engine's own and never reach the plugin. */
const ENGINE_KEYS = new Set(Object.keys(CONFIG_FIELDS));

/** Connection settings that read responses never return. */
const SECRET_SETTINGS = ['password', 'private_key', 'service_account_json'];

/** The password part of a URL's user information, unless it is the `{{password}}` placeholder. */
const URL_PASSWORD = /(:\/\/[^:/@\s]*:)(?!\{\{password\}\}@)[^@\s]*@/;

/** The warning Vault gives for a password written into `connection_url`. */
const URL_PASSWORD_WARNING =
  'password found in connection_url, use a templated url to enable root rotation and prevent read access to password information';

type ConfigFields = FieldData<typeof CONFIG_FIELDS>;

export function pathConfigList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = await listNames(request.storage, CONFIG_PREFIX);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the configured connections.',
    helpDescription: 'Returns the names of the connections written under config/.',
  });
}

export function pathConfig(connections: Connections): PathDefinition<FieldMap> {
  // A write keeps the stored password, so it must not overlap a root rotation of the same connection.
  const write = (request: Request, fields: ConfigFields) =>
    connections.exclusive(`config/${fields.get('name')}`, () => writeConfig(connections, request, fields));
  return definePath({
    pattern: `config/${nameSegment('name')}`,
    fields: CONFIG_FIELDS,
    takesArbitraryInput: true,
    existenceCheck: async (request, fields) => (await readConnection(request.storage, fields.get('name'))) !== null,
    operations: {
      create: write,
      update: write,
      read: async (request, fields) => {
        const config = await readConnection(request.storage, fields.get('name'));
        return config === null ? null : { data: describeConfig(config) };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        return connections.exclusive(`config/${name}`, async () => {
          await request.storage.delete(CONFIG_PREFIX + name);
          await connections.close(name);
          return null;
        });
      },
    },
    helpSynopsis: 'Configure a connection to a database.',
    helpDescription: `
A connection names the database plugin, its settings and the roles allowed to
use it. Unless verify_connection is false, the plugin connects once before the
settings are stored, and a failure rejects the write. Reads never return the
password.`,
  });
}

export function pathReset(connections: Connections): PathDefinition<FieldMap> {
  return definePath({
    pattern: `reset/${nameSegment('name')}`,
    fields: { name: NAME_FIELD },
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        await connections.close(name);
        await connections.get(request.storage, name);
        return null;
      },
    },
    helpSynopsis: 'Close a connection and open it again.',
    helpDescription: 'Closes the plugin connection and opens it again with the stored settings, for example after the database was restarted.',
  });
}

async function writeConfig(connections: Connections, request: Request, fields: ConfigFields): Promise<Response | null> {
  const name = fields.get('name');
  const existing = await readConnection(request.storage, name);
  if (existing === null && fields.get('plugin_name') === '') throw badRequest('missing required field "plugin_name"');

  const details: Record<string, unknown> = existing === null ? {} : { ...existing.connectionDetails };
  for (const [key, value] of Object.entries(fields.raw)) {
    if (!ENGINE_KEYS.has(key) && value !== null && value !== undefined) details[key] = value;
  }
  const config: ConnectionConfig = {
    pluginName: fields.getIfSet('plugin_name') || existing?.pluginName || '',
    pluginVersion: fields.getIfSet('plugin_version') ?? existing?.pluginVersion ?? '',
    verifyConnection: fields.get('verify_connection'),
    allowedRoles: fields.getIfSet('allowed_roles') ?? existing?.allowedRoles ?? [],
    rootRotationStatements: fields.getIfSet('root_rotation_statements') ?? existing?.rootRotationStatements ?? [],
    passwordPolicy: fields.getIfSet('password_policy') ?? existing?.passwordPolicy ?? '',
    connectionDetails: details,
  };

  // Check the settings with the plugin before storing them, so a bad write changes nothing.
  const database = await connections.create(config, config.verifyConnection);
  try {
    await writeConnection(request.storage, name, config);
  } catch (err) {
    await database.close();
    throw err;
  }
  await connections.adopt(name, config, database);
  const url = config.connectionDetails.connection_url;
  return typeof url === 'string' && URL_PASSWORD.test(url) ? { warnings: [URL_PASSWORD_WARNING] } : null;
}

function describeConfig(config: ConnectionConfig): Record<string, unknown> {
  const details = { ...config.connectionDetails };
  for (const key of SECRET_SETTINGS) delete details[key];
  if (typeof details.connection_url === 'string') details.connection_url = details.connection_url.replace(URL_PASSWORD, '$1*****@');
  return {
    plugin_name: config.pluginName,
    plugin_version: config.pluginVersion,
    connection_details: details,
    allowed_roles: config.allowedRoles,
    root_credentials_rotate_statements: config.rootRotationStatements,
    password_policy: config.passwordPolicy,
    verify_connection: config.verifyConnection,
  };
}
