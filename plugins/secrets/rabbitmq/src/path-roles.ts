/**
 * `roles/:name` (write, read, delete) and `roles/` (LIST): the tags, vhost
 * permissions and topic permissions that each user issued for a role gets.
 * As in Vault, a write replaces the whole role.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import type { TopicPermission, VhostPermission } from './management.js';
import { readRole, ROLE_PREFIX, writeRole, type Role } from './store.js';

const ROLE_FIELDS = {
  name: { type: 'string', description: 'Name of the role.', required: true },
  tags: { type: 'string', description: 'Comma-separated RabbitMQ user tags, e.g. "management,policymaker".' },
  vhosts: {
    type: 'map',
    description: 'JSON object of vhost name to {"configure": REGEXP, "write": REGEXP, "read": REGEXP}; a missing regular expression grants nothing.',
  },
  vhost_topics: {
    type: 'map',
    description: 'JSON object of vhost name to exchange name to {"write": REGEXP, "read": REGEXP} over routing keys of topic exchanges.',
  },
} as const;

type RoleFields = FieldData<typeof ROLE_FIELDS>;

const VHOST_KEYS = ['configure', 'write', 'read'] as const;
const TOPIC_KEYS = ['write', 'read'] as const;

export function pathRolesList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'roles/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = (await request.storage.list(ROLE_PREFIX)).filter((key) => !key.endsWith('/'));
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the roles.',
    helpDescription: 'Returns the names of the roles written under roles/.',
  });
}

export function pathRoles(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `roles/${nameSegment('name')}`,
    fields: ROLE_FIELDS,
    operations: {
      update: writeRoleEntry,
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('name'));
        return role === null ? null : { data: { tags: role.tags.join(','), vhosts: role.vhosts, vhost_topics: role.vhostTopics } };
      },
      delete: async (request, fields) => {
        await request.storage.delete(ROLE_PREFIX + fields.get('name'));
        return null;
      },
    },
    helpSynopsis: 'Manage the roles that RabbitMQ users are issued for.',
    helpDescription: `
Reading creds/<name> creates a RabbitMQ user with the role's tags, vhost
permissions and topic permissions. Each permission is a regular expression
that RabbitMQ matches against resource names (configure, write, read) or
routing keys (topic write, read). A role needs tags or vhosts. Deleting a role
does not revoke users already issued.`,
  });
}

async function writeRoleEntry(request: Request, fields: RoleFields): Promise<null> {
  const tags = fields
    .get('tags')
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
  const vhosts = parseVhosts(fields.get('vhosts'));
  const vhostTopics = parseVhostTopics(fields.get('vhost_topics'));
  // Vault's rule and message: topic permissions alone would give a user no access to any vhost.
  if (tags.length === 0 && Object.keys(vhosts).length === 0) throw badRequest('both tags and vhosts not specified');

  const role: Role = { tags, vhosts, vhostTopics };
  await writeRole(request.storage, fields.get('name'), role);
  return null;
}

/** @throws CofferError (400) naming `vhosts`, the vhost and the problem. */
function parseVhosts(raw: Record<string, unknown>): Record<string, VhostPermission> {
  const vhosts = ownKeysOnly<VhostPermission>();
  for (const [vhost, value] of Object.entries(raw)) {
    const where = `invalid field "vhosts": vhost "${vhost}"`;
    if (vhost === '') throw badRequest('invalid field "vhosts": a vhost name is empty');
    checkAddressable(vhost, 'vhosts');
    vhosts[vhost] = parsePermission(value, VHOST_KEYS, where) as unknown as VhostPermission;
  }
  return vhosts;
}

/** @throws CofferError (400) naming `vhost_topics`, the vhost, the exchange and the problem. */
function parseVhostTopics(raw: Record<string, unknown>): Record<string, Record<string, TopicPermission>> {
  const topics = ownKeysOnly<Record<string, TopicPermission>>();
  for (const [vhost, exchanges] of Object.entries(raw)) {
    if (vhost === '') throw badRequest('invalid field "vhost_topics": a vhost name is empty');
    checkAddressable(vhost, 'vhost_topics');
    if (!isObject(exchanges)) {
      throw badRequest(`invalid field "vhost_topics": vhost "${vhost}" must map exchange names to {"write": ..., "read": ...}, got ${JSON.stringify(exchanges)}`);
    }
    topics[vhost] = ownKeysOnly<TopicPermission>();
    for (const [exchange, value] of Object.entries(exchanges)) {
      const where = `invalid field "vhost_topics": vhost "${vhost}", exchange "${exchange}"`;
      if (exchange === '') throw badRequest(`invalid field "vhost_topics": vhost "${vhost}" has an empty exchange name`);
      topics[vhost][exchange] = parsePermission(value, TOPIC_KEYS, where) as unknown as TopicPermission;
    }
  }
  return topics;
}

/**
 * Checks one permission object: only `keys`, each a string holding a valid
 * regular expression. A missing key becomes "", which RabbitMQ reads as
 * "matches nothing".
 */
function parsePermission(value: unknown, keys: readonly string[], where: string): Record<string, string> {
  const expected = `{${keys.map((key) => `"${key}": REGEXP`).join(', ')}}`;
  if (!isObject(value)) throw badRequest(`${where} must be an object ${expected}, got ${JSON.stringify(value)}`);

  const unknown = Object.keys(value).filter((key) => !keys.includes(key));
  if (unknown.length > 0) throw badRequest(`${where} has unknown key "${unknown[0]}"; expected ${expected}`);

  const permission: Record<string, string> = {};
  for (const key of keys) {
    const pattern = value[key] ?? '';
    if (typeof pattern !== 'string') throw badRequest(`${where}: "${key}" must be a string, got ${JSON.stringify(pattern)}`);
    checkRegexp(pattern, `${where}: "${key}"`);
    permission[key] = pattern;
  }
  return permission;
}

/**
 * Compiles the pattern as a JavaScript regular expression.
 * NOTE: RabbitMQ matches with Erlang's PCRE-based `re` module. The common
 * syntax is the same, but a PCRE-only construct such as a possessive
 * quantifier is rejected here although RabbitMQ would accept it.
 */
function checkRegexp(pattern: string, where: string): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: /, '');
    throw badRequest(`${where} is not a valid regular expression: ${reason}`);
  }
}

/**
 * Rejects the vhost names "." and "..". The engine puts the vhost in the URL
 * path of management API calls, and URL parsers, RabbitMQ's included, read
 * those names as path steps even when percent-encoded, so no call could
 * grant permissions there.
 */
function checkAddressable(vhost: string, field: string): void {
  if (vhost === '.' || vhost === '..') {
    throw badRequest(`invalid field "${field}": vhost "${vhost}" cannot be addressed through the RabbitMQ management API, which reads it as a path step`);
  }
}

/**
 * Returns an empty object without a prototype, so that a vhost or exchange
 * named `__proto__` becomes an ordinary key. Assigning that name on a plain
 * object would replace its prototype instead, and the name would vanish.
 */
function ownKeysOnly<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
