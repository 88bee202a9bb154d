/**
 * `config`: the RADIUS server, its shared secret and the policies of
 * unregistered users, with Vault's field names and defaults. A write
 * changes only the fields it sets; `secret` is never read back.
 */
import {
  badRequest,
  definePath,
  describeTokenSettings,
  KeyedLock,
  readTokenSettings,
  TOKEN_FIELDS,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Response,
  type Storage,
  type TokenSettings,
} from '@coffer/sdk';
import { defaultConfig, readConfig, writeConfig, type RadiusConfig } from './config.js';
import { MAX_ATTRIBUTE_LENGTH } from './packet.js';
import { parsePolicies, rootPolicyProblem } from './users.js';

const CONFIG_FIELDS = {
  host: { type: 'string', description: 'Host name or IP address of the RADIUS server. Required.' },
  port: { type: 'int', description: 'UDP port of the RADIUS server. Default: 1812.' },
  secret: { type: 'string', description: 'Shared secret of the RADIUS client entry for Coffer. Required; never returned on read.' },
  unregistered_user_policies: { type: 'comma_string_slice', description: 'Policies of users the server accepts that have no entry under users/. Empty rejects such users.' },
  dial_timeout: { type: 'duration', description: 'Time to resolve and connect to the server, e.g. "10s". Default: 10s.' },
  read_timeout: { type: 'duration', description: 'Time to wait for a response from the server, e.g. "10s". Default: 10s.' },
  nas_port: { type: 'int', description: 'Value of the NAS-Port attribute. Default: 10.' },
  nas_identifier: { type: 'string', description: 'Value of the NAS-Identifier attribute; left out when empty.' },
  ...TOKEN_FIELDS,
} as const;

type ConfigFields = typeof CONFIG_FIELDS;

export function pathConfig(lock: KeyedLock): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config',
    fields: CONFIG_FIELDS,
    operations: {
      read: async (request) => {
        const config = await readConfig(request.storage);
        return config === null ? null : { data: describeConfig(config) };
      },
      update: (request, fields) => lock.run('config', () => updateConfig(request.storage, fields)),
    },
    helpSynopsis: 'Configure the RADIUS server that checks passwords.',
    helpDescription: `
host, port and secret name the RADIUS server and the shared secret of its
client entry for Coffer. A user with an entry under users/ gets that entry's
policies; any other user the server accepts gets unregistered_user_policies,
or is rejected when that list is empty.`,
  });
}

async function updateConfig(storage: Storage, fields: FieldData<ConfigFields>): Promise<Response | null> {
  const existing = await readConfig(storage);
  const token = tokenSettings(fields, existing?.token);
  const config = { ...mergeConfig(existing ?? defaultConfig(token), fields), token };
  const problem = configProblem(config);
  if (problem !== null) throw badRequest(problem);

  await writeConfig(storage, config);
  return null;
}

/** Reads the `token_*` fields over `existing`. @throws CofferError (400) naming the invalid field. */
function tokenSettings(fields: FieldData<ConfigFields>, existing: TokenSettings | undefined): TokenSettings {
  try {
    return readTokenSettings(fields, existing);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function mergeConfig(base: RadiusConfig, fields: FieldData<ConfigFields>): RadiusConfig {
  const pick = <K extends keyof ConfigFields & string, V>(name: K, current: V): V => (fields.has(name) ? (fields.get(name) as V) : current);
  return {
    ...base,
    host: pick('host', base.host).trim(),
    port: pick('port', base.port),
    secret: pick('secret', base.secret),
    unregisteredUserPolicies: fields.has('unregistered_user_policies') ? parsePolicies(fields.get('unregistered_user_policies')) : base.unregisteredUserPolicies,
    dialTimeout: pick('dial_timeout', base.dialTimeout),
    readTimeout: pick('read_timeout', base.readTimeout),
    nasPort: pick('nas_port', base.nasPort),
    nasIdentifier: pick('nas_identifier', base.nasIdentifier),
  };
}

/** Returns what is wrong with a merged config, naming the field, or `null`. */
export function configProblem(config: RadiusConfig): string | null {
  // The first two messages are Vault's.
  if (config.host === '') return 'config parameter `host` cannot be empty';
  if (config.secret === '') return 'config parameter `secret` cannot be empty';
  if (!Number.isInteger(config.port) || config.port < 1 || config.port > 65535) return `invalid "port" ${config.port}: must be between 1 and 65535`;
  if (config.dialTimeout <= 0) return `invalid "dial_timeout" ${config.dialTimeout}: must be a positive number of seconds`;
  if (config.readTimeout <= 0) return `invalid "read_timeout" ${config.readTimeout}: must be a positive number of seconds`;
  if (!Number.isInteger(config.nasPort) || config.nasPort < 0 || config.nasPort > 0xffffffff) return `invalid "nas_port" ${config.nasPort}: must be between 0 and 4294967295`;
  if (Buffer.byteLength(config.nasIdentifier, 'utf8') > MAX_ATTRIBUTE_LENGTH) return `invalid "nas_identifier": longer than ${MAX_ATTRIBUTE_LENGTH} bytes, the maximum of a RADIUS attribute`;
  return rootPolicyProblem('unregistered_user_policies', config.unregisteredUserPolicies);
}

/** The config as Vault's read returns it, without `secret`. */
function describeConfig(config: RadiusConfig): Record<string, unknown> {
  return {
    host: config.host,
    port: config.port,
    unregistered_user_policies: config.unregisteredUserPolicies,
    dial_timeout: config.dialTimeout,
    read_timeout: config.readTimeout,
    nas_port: config.nasPort,
    nas_identifier: config.nasIdentifier,
    ...describeTokenSettings(config.token),
  };
}
