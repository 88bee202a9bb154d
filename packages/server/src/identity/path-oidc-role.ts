/**
 * identity/oidc/role: roles that identity tokens are issued against. A role
 * names its signing key, a template of extra claims, the token TTL and the
 * client ID that becomes the token's audience.
 */
import { randomInt } from 'node:crypto';
import { badRequest, definePath, MAX_JSON_DEPTH, nameSegment, nestsDeeperThan, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { OidcRole, OidcStore } from './oidc-store.js';
import { decodeTemplate, RESERVED_CLAIMS, renderClaims, TemplateError } from './oidc-template.js';

const DEFAULT_TTL = 86_400;
/** Vault generates 26 base62 characters. */
const CLIENT_ID_LENGTH = 26;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;

const roleFields = {
  name: { type: 'string', description: 'Name of the role.' },
  key: { type: 'string', description: 'Name of the key that signs the tokens; it must exist. Required on create.' },
  template: { type: 'string', description: 'JSON template of extra claims, as text or base64.' },
  ttl: { type: 'duration', description: 'TTL of the tokens; 24h by default, at most the key\'s verification_ttl.' },
  client_id: { type: 'string', description: 'Client ID, the tokens\' audience; generated when unset.' },
} as const;

type RoleFieldData = Parameters<NonNullable<PathDefinition<typeof roleFields>['existenceCheck']>>[1];

function generateClientId(): string {
  let id = '';
  for (let index = 0; index < CLIENT_ID_LENGTH; index += 1) id += BASE62[randomInt(BASE62.length)];
  return id;
}

/**
 * Checks that a template renders to a JSON object without reserved claims,
 * using an entity with no data, as Vault checks it.
 * @throws CofferError (400) with Vault's wording.
 */
function checkTemplate(template: string): void {
  if (template === '') return;
  let claims: Record<string, unknown>;
  try {
    claims = renderClaims(template, { entity: undefined, groups: [], now: Math.floor(Date.now() / 1000) });
  } catch (err) {
    if (err instanceof TemplateError && err.message !== 'the template must be a JSON object') throw badRequest(`error parsing template: ${err.message}`);
    throw badRequest(`error parsing template JSON: ${(err as Error).message}`);
  }
  // JSON.stringify recurses, so signing claims nested a few thousand levels deep would overflow the stack.
  if (nestsDeeperThan(claims, MAX_JSON_DEPTH)) {
    throw badRequest(`error parsing template JSON: nesting is deeper than the limit of ${MAX_JSON_DEPTH} levels`);
  }
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.includes(name)) throw badRequest(`top level key "${name}" not allowed. Restricted keys: ${RESERVED_CLAIMS.join(', ')}`);
  }
}

/** Plans a create or an update of the role; unset fields keep their value, or get the default on create. */
function planRole(store: OidcStore, name: string, fields: RoleFieldData): OidcRole {
  const existing = store.role(name);
  const keyName = fields.getIfSet('key') ?? existing?.key ?? '';
  if (keyName === '') throw badRequest('the key parameter is required');

  const sentTemplate = fields.getIfSet('template');
  const template = sentTemplate !== undefined ? decodeTemplate(sentTemplate) : (existing?.template ?? '');
  checkTemplate(template);

  const ttl = fields.getIfSet('ttl') ?? existing?.ttl ?? DEFAULT_TTL;
  const key = store.key(keyName);
  if (key === undefined) throw badRequest(`cannot find key "${keyName}"`);
  if (ttl > key.verificationTtl) throw badRequest("a role's token ttl cannot be longer than the verification_ttl of the key it references");

  const clientId = fields.getIfSet('client_id') ?? existing?.clientId ?? generateClientId();
  if (!CLIENT_ID_PATTERN.test(clientId) || clientId === '*') {
    throw badRequest(`invalid "client_id" ${JSON.stringify(clientId.slice(0, 64))}: use 1 to 256 printable ASCII characters without spaces, other than "*"`);
  }
  return { name, key: keyName, template, ttl, clientId };
}

async function writeRole(store: OidcStore, name: string, fields: RoleFieldData): Promise<null> {
  const { role, created } = await store.write(async () => {
    const created = store.role(name) === undefined;
    const planned = planRole(store, name, fields);
    return { changes: { putRoles: [planned] }, result: { role: planned, created } };
  });
  store.logger.info({ role: name, key: role.key }, created ? 'identity token role created' : 'identity token role updated');
  return null;
}

async function deleteRole(store: OidcStore, name: string): Promise<null> {
  const deleted = await store.write(async () => {
    const exists = store.role(name) !== undefined;
    return { changes: exists ? { deleteRoles: [name] } : {}, result: exists };
  });
  if (deleted) store.logger.info({ role: name }, 'identity token role deleted');
  return null;
}

export function oidcRolePaths(store: OidcStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'oidc/role/?',
      fields: {},
      operations: {
        async list() {
          const names = store
            .allRoles()
            .map((role) => role.name)
            .sort();
          return names.length === 0 ? null : { data: { keys: names } };
        },
      },
      helpSynopsis: 'List identity token roles.',
      helpDescription: 'Returns the names of the roles that identity tokens are issued against.',
    }),
    definePath({
      pattern: `oidc/role/${nameSegment('name')}`,
      fields: roleFields,
      existenceCheck: async (_request, fields) => store.role(fields.get('name')) !== undefined,
      operations: {
        create: async (_request, fields) => writeRole(store, fields.get('name'), fields),
        update: async (_request, fields) => writeRole(store, fields.get('name'), fields),
        async read(_request, fields) {
          const role = store.role(fields.get('name'));
          if (role === undefined) return null;
          return { data: { client_id: role.clientId, key: role.key, template: role.template, ttl: role.ttl } };
        },
        delete: async (_request, fields) => deleteRole(store, fields.get('name')),
      },
      helpSynopsis: 'Create, read, update or delete an identity token role.',
      helpDescription: 'Tokens are issued against a role: signed by its key, with its template\'s claims, its TTL and its client ID as audience.',
    }),
  ];
}
