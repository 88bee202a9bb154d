/**
 * `role/:role_name/secret-id` (generate, and LIST the accessors) and
 * `role/:role_name/custom-secret-id` (register a secret ID of the caller's
 * choice). The response is the only place the secret ID ever appears.
 */
import { randomUUID } from 'node:crypto';
import {
  badRequest,
  definePath,
  nameSegment,
  type FieldData,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
} from '@coffer/sdk';
import { checkCidrs, checkCidrSubset } from './cidr.js';
import type { AppRoleContext } from './context.js';
import { ROLE_NAME_FIELD } from './role-fields.js';
import { requireRole, type RoleEntry } from './roles.js';
import { MAX_HMAC_INPUT_BYTES } from './salt.js';
import { listSecretIdHmacs, readSecretId, secretIdHmac, storeNewSecretId, type SecretIdEntry } from './secret-ids.js';

const GENERATE_FIELDS = {
  role_name: ROLE_NAME_FIELD,
  // NOTE: Vault also takes metadata as "key=value,key2=value2" text; here
  // it must be a JSON object or an object, or the request is rejected.
  metadata: {
    type: 'map',
    description: 'String key-value pairs, as an object or a JSON object string, copied into the metadata of tokens issued with the secret ID. Audit logs show them in plaintext.',
  },
  cidr_list: { type: 'comma_string_slice', description: "CIDR blocks that may log in with the secret ID; must lie inside the role's secret_id_bound_cidrs." },
  token_bound_cidrs: { type: 'comma_string_slice', description: "CIDR blocks the issued tokens may be used from; must lie inside the role's token_bound_cidrs." },
  num_uses: { type: 'int', description: "Logins the secret ID allows; overrides and may not exceed the role's secret_id_num_uses. 0 is unlimited." },
  ttl: { type: 'duration', description: "Lifetime of the secret ID; overrides and may not exceed the role's secret_id_ttl. 0 never expires." },
} as const;

const CUSTOM_FIELDS = {
  ...GENERATE_FIELDS,
  secret_id: { type: 'string', description: 'The secret ID to register.' },
} as const;

type GenerateFields = FieldData<typeof GENERATE_FIELDS>;

/** The settings a request chooses for a new secret ID. */
type SecretIdSettings = Pick<SecretIdEntry, 'secretIdNumUses' | 'secretIdTtl' | 'metadata' | 'cidrList' | 'tokenBoundCidrs'>;

export function pathSecretId(context: AppRoleContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `role/${nameSegment('role_name')}/secret-id/?`,
    fields: GENERATE_FIELDS,
    operations: {
      update: (request, fields) => issueSecretId(context, request, fields, randomUUID()),
      list: async (request, fields) => {
        const role = await requireRole(request.storage, fields.get('role_name'));
        const keys: string[] = [];
        for (const hmac of await listSecretIdHmacs(request.storage, role)) {
          const entry = await readSecretId(request.storage, role, hmac);
          if (entry !== null) keys.push(entry.secretIdAccessor);
        }
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'Generate a secret ID for the role, or list the accessors of its secret IDs.',
    helpDescription: `
A write returns a new random secret_id with its secret_id_accessor. The accessor
reads or destroys the secret ID without revealing it. Its lifetime and use
limit come from the role unless ttl and num_uses set lower ones.`,
  });
}

export function pathCustomSecretId(context: AppRoleContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `role/${nameSegment('role_name')}/custom-secret-id`,
    fields: CUSTOM_FIELDS,
    operations: {
      update: async (request, fields) => {
        const secretId = fields.get('secret_id');
        if (secretId === '') throw badRequest('missing secret_id: send "secret_id" with the secret ID to register');
        if (Buffer.byteLength(secretId) > MAX_HMAC_INPUT_BYTES) {
          throw badRequest(`secret_id is longer than maximum of ${MAX_HMAC_INPUT_BYTES} bytes: use a shorter secret ID`);
        }
        return issueSecretId(context, request, fields, secretId);
      },
    },
    helpSynopsis: 'Register a secret ID of your choice for the role.',
    helpDescription: `
Not recommended unless secret IDs must come from elsewhere ("push" mode). The
secret ID then behaves like a generated one.`,
  });
}

/**
 * Stores a new secret ID under the role's lock, so that a concurrent delete
 * of the role cannot miss it and leave it behind.
 */
async function issueSecretId(context: AppRoleContext, request: Request, fields: GenerateFields, secretId: string): Promise<Response> {
  const name = fields.get('role_name');
  return context.roleLocks.run(name, async () => {
    const role = await requireRole(request.storage, name);
    const settings = readSecretIdSettings(role, fields, context.system.maxLeaseTtl());
    const hmac = secretIdHmac(role, secretId);
    return context.secretIdLocks.run(hmac, () => storeSecretId(context, request, role, hmac, secretId, settings));
  });
}

/** Stores the secret ID and returns Vault's response. The caller holds the secret ID's lock. */
async function storeSecretId(
  context: AppRoleContext,
  request: Request,
  role: RoleEntry,
  hmac: string,
  secretId: string,
  settings: SecretIdSettings,
): Promise<Response> {
  if ((await readSecretId(request.storage, role, hmac)) !== null) {
    throw badRequest(`secret_id is already registered on role "${role.name}": register a different one`);
  }

  const now = context.now();
  const entry: SecretIdEntry = {
    ...settings,
    secretIdAccessor: randomUUID(),
    creationTime: new Date(now).toISOString(),
    lastUpdatedTime: new Date(now).toISOString(),
    expirationTime: settings.secretIdTtl === 0 ? null : new Date(now + settings.secretIdTtl * 1000).toISOString(),
  };
  await storeNewSecretId(request.storage, context.salt, role, hmac, entry);

  return {
    data: {
      secret_id: secretId,
      secret_id_accessor: entry.secretIdAccessor,
      secret_id_ttl: entry.secretIdTtl,
      secret_id_num_uses: entry.secretIdNumUses,
    },
  };
}

/**
 * Checks the request against the role and returns the secret ID's settings.
 * The TTL is capped at the mount's max lease TTL, as Vault does.
 * @throws CofferError (400) naming the first invalid field.
 */
function readSecretIdSettings(
  role: RoleEntry,
  fields: GenerateFields,
  maxLeaseTtl: number,
): SecretIdSettings {
  if (!role.bindSecretId) throw badRequest(`bind_secret_id is not set on the role: set it on role "${role.name}" to issue secret IDs`);

  const cidrList = fields.get('cidr_list');
  checkCidrs('cidr_list', cidrList);
  checkCidrSubset('cidr_list', cidrList, 'secret_id_bound_cidrs', role.secretIdBoundCidrs);
  const tokenBoundCidrs = fields.get('token_bound_cidrs');
  checkCidrs('token_bound_cidrs', tokenBoundCidrs);
  checkCidrSubset('token_bound_cidrs', tokenBoundCidrs, 'token_bound_cidrs', role.tokenBoundCidrs);

  const numUses = fields.getIfSet('num_uses') ?? role.secretIdNumUses;
  if (numUses < 0) throw badRequest(`num_uses cannot be negative: got ${numUses}, use 0 for unlimited`);
  if (role.secretIdNumUses > 0 && (numUses === 0 || numUses > role.secretIdNumUses)) {
    throw badRequest(`num_uses cannot be higher than the role's secret_id_num_uses: got ${numUses}, the role allows ${role.secretIdNumUses}`);
  }
  const ttl = fields.getIfSet('ttl') ?? role.secretIdTtl;
  if (role.secretIdTtl > 0 && (ttl === 0 || ttl > role.secretIdTtl)) {
    throw badRequest(`ttl cannot be longer than the role's secret_id_ttl: got ${ttl}, the role allows ${role.secretIdTtl}`);
  }

  return {
    secretIdNumUses: numUses,
    secretIdTtl: ttl > maxLeaseTtl ? maxLeaseTtl : ttl,
    metadata: readMetadata(fields.get('metadata')),
    cidrList,
    tokenBoundCidrs,
  };
}

/** @throws CofferError (400) when a metadata value is not a string. */
function readMetadata(raw: Record<string, unknown>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw badRequest(`failed to parse metadata: the value of "${key}" must be a string, got ${JSON.stringify(value)}`);
    }
    metadata[key] = value;
  }
  return metadata;
}

