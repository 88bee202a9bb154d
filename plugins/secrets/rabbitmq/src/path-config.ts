/**
 * `config/connection` (write only, as in Vault) and `config/lease` (read,
 * write): the management API the engine creates users through, and the
 * lease settings of the credentials it issues.
 */
import {
  badRequest,
  checkUsernameTemplate,
  CofferError,
  definePath,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type SystemView,
} from '@coffer/sdk';
import { ManagementClient, ManagementError } from './management.js';
import { newPassword } from './password.js';
import { readLease, writeConnection, writeLease, type ConnectionConfig } from './store.js';

const CONNECTION_FIELDS = {
  connection_uri: { type: 'string', description: 'Base URL of the RabbitMQ management HTTP API, e.g. "http://127.0.0.1:15672".', required: true },
  username: { type: 'string', description: 'RabbitMQ user with the administrator tag that the engine creates and deletes users as.', required: true },
  password: { type: 'string', description: 'Password of that user. Stored encrypted and never returned.', required: true },
  verify_connection: { type: 'bool', description: 'List users through the management API with these credentials before storing them, and reject the write when that fails.', default: true },
  password_policy: { type: 'string', description: 'Name of a password policy under sys/policies/password for generated passwords; empty takes the default rules (20 letters, digits and "-").' },
  username_template: { type: 'string', description: 'Template of generated usernames over .DisplayName and .RoleName; empty takes {{ printf "%s-%s" (.DisplayName) (uuid) }}.' },
} as const;

const LEASE_FIELDS = {
  ttl: { type: 'duration', description: "TTL of issued credentials, in seconds or as a duration such as \"1h\"; 0 takes the mount's default lease TTL." },
  max_ttl: { type: 'duration', description: "Maximum lifetime of issued credentials, renewals included; 0 takes the mount's max lease TTL." },
} as const;

type ConnectionFields = FieldData<typeof CONNECTION_FIELDS>;
type LeaseFields = FieldData<typeof LEASE_FIELDS>;

export function pathConfigConnection(system: SystemView): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/connection',
    fields: CONNECTION_FIELDS,
    operations: {
      update: (request, fields) => writeConnectionConfig(system, request, fields),
    },
    helpSynopsis: 'Configure the RabbitMQ management API and the administrator the engine acts as.',
    helpDescription: `
Sets the management API address (the rabbitmq_management plugin, usually on
port 15672) and a user with the administrator tag. Unless verify_connection is
false, the engine lists users with these credentials first and rejects the
write when that fails. The settings cannot be read back, because they contain
the password.`,
  });
}

export function pathConfigLease(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/lease',
    fields: LEASE_FIELDS,
    operations: {
      update: writeLeaseConfig,
      read: async (request) => {
        const lease = await readLease(request.storage);
        return lease === null ? null : { data: { ttl: lease.ttl, max_ttl: lease.maxTtl } };
      },
    },
    helpSynopsis: 'Configure the lease TTL and max TTL of issued credentials.',
    helpDescription: `
Credentials read from creds/<role> get a lease of ttl seconds, renewable up to
max_ttl seconds after issue. 0 for either takes the mount's value, and the
mount's max lease TTL caps both.`,
  });
}

async function writeConnectionConfig(system: SystemView, request: Request, fields: ConnectionFields): Promise<null> {
  const config: ConnectionConfig = {
    connectionUri: fields.get('connection_uri').trim(),
    username: fields.get('username'),
    password: fields.get('password'),
    passwordPolicy: fields.get('password_policy'),
    usernameTemplate: fields.get('username_template'),
  };

  checkConnectionUri(config.connectionUri);
  if (config.username === '') throw badRequest('missing required field "username"');
  if (config.password === '') throw badRequest('missing required field "password"');
  if (config.usernameTemplate !== '') {
    try {
      checkUsernameTemplate(config.usernameTemplate);
    } catch (err) {
      throw badRequest(`invalid field "username_template": ${(err as Error).message}`);
    }
  }
  // Generating one password proves the policy exists and can be satisfied.
  try {
    await newPassword(system, config.passwordPolicy);
  } catch (err) {
    if (err instanceof CofferError && err.status === 400) throw badRequest(`invalid field "password_policy": ${err.message}`);
    throw err;
  }

  if (fields.get('verify_connection')) await verifyConnection(config);

  await writeConnection(request.storage, config);
  return null;
}

/** @throws CofferError (400) naming `connection_uri` unless it is an http or https URL without credentials, query or fragment. */
function checkConnectionUri(uri: string): void {
  if (uri === '') throw badRequest('missing required field "connection_uri"');
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw badRequest(`invalid field "connection_uri": "${uri}" is not a URL; use the management API's address, e.g. "http://127.0.0.1:15672"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw badRequest(`invalid field "connection_uri": scheme "${parsed.protocol.slice(0, -1)}" is not supported; use the management API's http or https address, not an AMQP URI`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw badRequest('invalid field "connection_uri": the URL must not contain credentials; set "username" and "password" instead');
  }
  // API paths are appended to the URI, so they would land inside a query or fragment.
  if (parsed.search !== '' || parsed.hash !== '' || /[?#]/.test(uri)) {
    throw badRequest('invalid field "connection_uri": the URL must not contain a query or fragment; use the management API\'s base address, e.g. "http://127.0.0.1:15672"');
  }
}

/**
 * Lists users with the given credentials, which needs the administrator tag.
 * @throws CofferError (400) with RabbitMQ's status and reason, never the password.
 */
async function verifyConnection(config: ConnectionConfig): Promise<void> {
  try {
    await new ManagementClient(config).listUsers();
  } catch (err) {
    if (!(err instanceof ManagementError)) throw err;
    // RabbitMQ returns 401 both for a wrong password and for a user without the administrator tag.
    const hint = err.status === 401 || err.status === 403 ? '; check "username" and "password", and that the user has the administrator tag' : '';
    throw badRequest(`failed to validate the connection: ${err.message}${hint}`);
  }
}

async function writeLeaseConfig(request: Request, fields: LeaseFields): Promise<null> {
  const ttl = fields.get('ttl');
  const maxTtl = fields.get('max_ttl');
  if (maxTtl !== 0 && ttl > maxTtl) throw badRequest(`invalid field "ttl": ${ttl} s is greater than "max_ttl" of ${maxTtl} s`);

  await writeLease(request.storage, { ttl, maxTtl });
  return null;
}
