/**
 * identity/oidc/key: named keys that sign identity tokens, and their manual
 * rotation, as in Vault's identity tokens API.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { createNamedKey, isOidcAlgorithm, replaceAlgorithm, rotateNamedKey, type NamedKey, type OidcAlgorithm } from './oidc-keys.js';
import type { OidcStore } from './oidc-store.js';

/** Vault's defaults: rotate daily, publish a rotated key for a day. */
const DEFAULT_ROTATION_PERIOD = 86_400;
const DEFAULT_VERIFICATION_TTL = 86_400;
/** Vault's limits: a rotation period of at least a minute, a verification TTL of at most ten rotation periods. */
const MIN_ROTATION_PERIOD = 60;
const MAX_VERIFICATION_PERIODS = 10;

const keyFields = {
  name: { type: 'string', description: 'Name of the key.' },
  rotation_period: { type: 'duration', description: 'Time between automatic rotations, at least 1m; 24h by default.' },
  verification_ttl: { type: 'duration', description: 'How long a rotated public key stays published for verification; 24h by default.' },
  allowed_client_ids: { type: 'comma_string_slice', description: 'Client IDs of the roles that may sign with the key; "*" allows all, none by default.' },
  algorithm: { type: 'string', description: 'Signing algorithm: RS256 (the default), RS384, RS512, ES256, ES384, ES512 or EdDSA.' },
} as const;

type KeyFieldData = Parameters<NonNullable<PathDefinition<typeof keyFields>['existenceCheck']>>[1];

/** Checks a key's settings before anything is generated or stored. */
function checkKeySettings(store: OidcStore, name: string, existing: NamedKey | undefined, rotationPeriod: number, verificationTtl: number, algorithm: string): OidcAlgorithm {
  if (rotationPeriod < MIN_ROTATION_PERIOD) throw badRequest('rotation_period must be at least one minute');
  if (verificationTtl > MAX_VERIFICATION_PERIODS * rotationPeriod) throw badRequest('verification_ttl cannot be longer than 10x rotation_period');
  if (!isOidcAlgorithm(algorithm)) throw badRequest(`unknown signing algorithm "${algorithm}"`);
  if (existing !== undefined && store.allRoles().some((role) => role.key === name && role.ttl > verificationTtl)) {
    throw badRequest(`unable to update key "${name}" because it is currently referenced by one or more roles with a token ttl greater than ${verificationTtl} seconds`);
  }
  return algorithm;
}

/** Plans a create or an update of the named key; unset fields keep their value, or get Vault's default on create. */
async function planKeyWrite(store: OidcStore, name: string, fields: KeyFieldData): Promise<NamedKey> {
  const existing = store.key(name);
  const rotationPeriod = fields.getIfSet('rotation_period') ?? existing?.rotationPeriod ?? DEFAULT_ROTATION_PERIOD;
  const verificationTtl = fields.getIfSet('verification_ttl') ?? existing?.verificationTtl ?? DEFAULT_VERIFICATION_TTL;
  const allowedClientIds = fields.getIfSet('allowed_client_ids') ?? existing?.allowedClientIds ?? [];
  const algorithm = checkKeySettings(store, name, existing, rotationPeriod, verificationTtl, fields.getIfSet('algorithm') ?? existing?.algorithm ?? 'RS256');

  const now = Date.now();
  if (existing === undefined) return createNamedKey({ name, algorithm, rotationPeriod, verificationTtl, allowedClientIds }, now);
  let key: NamedKey = { ...existing, rotationPeriod, verificationTtl, allowedClientIds };
  // A shorter period takes effect now; a longer one from the next rotation, as in Vault.
  key.nextRotation = Math.min(existing.nextRotation, now + rotationPeriod * 1000);
  if (algorithm !== existing.algorithm) key = await replaceAlgorithm(key, algorithm, now);
  return key;
}

function describeKey(key: NamedKey): Record<string, unknown> {
  return {
    algorithm: key.algorithm,
    allowed_client_ids: key.allowedClientIds,
    rotation_period: key.rotationPeriod,
    verification_ttl: key.verificationTtl,
  };
}

async function writeKey(store: OidcStore, name: string, fields: KeyFieldData): Promise<null> {
  const { key, created } = await store.write(async () => {
    const created = store.key(name) === undefined;
    const planned = await planKeyWrite(store, name, fields);
    return { changes: { putKeys: [planned] }, result: { key: planned, created } };
  });
  store.logger.info({ key: name, algorithm: key.algorithm, signingKeyId: key.signingKey.kid }, created ? 'identity token key created' : 'identity token key updated');
  return null;
}

async function deleteKey(store: OidcStore, name: string): Promise<null> {
  const deleted = await store.write(async () => {
    const users = store
      .allRoles()
      .filter((role) => role.key === name)
      .map((role) => role.name)
      .sort();
    if (users.length > 0) throw badRequest(`unable to delete key "${name}" because it is currently referenced by these roles: ${users.join(', ')}`);
    const exists = store.key(name) !== undefined;
    return { changes: exists ? { deleteKeys: [name] } : {}, result: exists };
  });
  if (deleted) store.logger.info({ key: name }, 'identity token key deleted');
  return null;
}

async function rotateKey(store: OidcStore, name: string, verificationTtl: number | undefined): Promise<null> {
  const rotated = await store.write(async () => {
    const key = store.key(name);
    if (key === undefined) throw badRequest(`no named key found at "${name}"`);
    const updated = await rotateNamedKey(key, Date.now(), verificationTtl);
    return { changes: { putKeys: [updated] }, result: updated };
  });
  store.logger.info({ key: name, signingKeyId: rotated.signingKey.kid }, 'identity token key rotated');
  return null;
}

export function oidcKeyPaths(store: OidcStore): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'oidc/key/?',
      fields: {},
      operations: {
        async list() {
          const names = store
            .allKeys()
            .map((key) => key.name)
            .sort();
          return names.length === 0 ? null : { data: { keys: names } };
        },
      },
      helpSynopsis: 'List identity token keys.',
      helpDescription: 'Returns the names of the named keys that sign identity tokens.',
    }),
    definePath({
      pattern: `oidc/key/${nameSegment('name')}/rotate`,
      fields: {
        name: { type: 'string', description: 'Name of the key.' },
        verification_ttl: { type: 'duration', description: "How long the retired public key stays published; the key's verification_ttl by default." },
      },
      operations: {
        update: async (_request, fields) => rotateKey(store, fields.get('name'), fields.getIfSet('verification_ttl')),
      },
      helpSynopsis: 'Rotate an identity token key.',
      helpDescription: 'The next signing key signs from now on and a new next key is made; the retired key stays published for the verification TTL.',
    }),
    definePath({
      pattern: `oidc/key/${nameSegment('name')}`,
      fields: keyFields,
      existenceCheck: async (_request, fields) => store.key(fields.get('name')) !== undefined,
      operations: {
        create: async (_request, fields) => writeKey(store, fields.get('name'), fields),
        update: async (_request, fields) => writeKey(store, fields.get('name'), fields),
        async read(_request, fields) {
          const key = store.key(fields.get('name'));
          return key === undefined ? null : { data: describeKey(key) };
        },
        delete: async (_request, fields) => deleteKey(store, fields.get('name')),
      },
      helpSynopsis: 'Create, read, update or delete an identity token key.',
      helpDescription: 'A named key signs the tokens of the roles that reference it. A key referenced by a role cannot be deleted.',
    }),
  ];
}
