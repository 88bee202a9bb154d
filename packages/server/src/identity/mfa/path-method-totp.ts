/**
 * identity/mfa/method/totp: TOTP MFA methods, and the keys that entities
 * hold for them, as in Vault's login MFA API.
 *
 * The fixed paths (`generate`, `admin-generate`, `admin-destroy`) come
 * before `totp/<method_id>`, which would match them too.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition, type Response } from '@coffer/sdk';
import { listResponse } from '../describe.js';
import type { LoginMfa } from './login.js';
import { describeMethod, type TotpMethod } from './model.js';
import { generateTotpKey, renderQrPng, TOTP_ALGORITHMS, totpKeyUrl, type TotpAlgorithm } from './totp.js';

/** The largest `qr_size`, in pixels; a 2048-pixel square is 4 MiB before compression. */
const MAX_QR_SIZE = 2048;

/** The largest `period`, in seconds: Vault stores the period as a 32-bit unsigned integer. */
const MAX_PERIOD = 4_294_967_295;

/** The largest `key_size`, in bytes; RFC 4226 recommends 20 and Vault's default is 20. */
const MAX_KEY_SIZE = 1024;

const methodFields = {
  method_id: { type: 'string', description: 'ID of the method to update; a new method gets a generated ID.' },
  method_name: { type: 'string', description: 'Unique name of the method, usable in place of its ID in MFA payloads and headers.' },
  issuer: { type: 'string', description: 'Name of the organization that issues the keys, shown by authenticator apps. Required.' },
  period: { type: 'duration', default: 30, description: 'Seconds per code, as an integer or a duration such as "30s".' },
  key_size: { type: 'int', default: 20, description: 'Length of generated keys in bytes.' },
  qr_size: { type: 'int', default: 200, description: 'Width of the QR code in pixels; 0 returns no QR code.' },
  algorithm: { type: 'string', default: 'SHA1', description: 'Hash algorithm: SHA1, SHA256 or SHA512.' },
  digits: { type: 'int', default: 6, description: 'Digits per code: 6 or 8.' },
  skew: { type: 'int', default: 1, description: 'Time steps accepted before and after the current one: 0 or 1.' },
  max_validation_attempts: {
    type: 'int',
    default: 5,
    description: 'Validation attempts allowed within one period, counted from the first; a right passcode clears the count. 0 means 5.',
  },
} as const;

type MethodFieldData = Parameters<NonNullable<PathDefinition<typeof methodFields>['existenceCheck']>>[1];

/**
 * Validates the fields and returns the method they describe. On an update
 * of `existing`, a field the request leaves out keeps its stored value; on
 * a create, it takes its default. (Vault differs: it resets a left-out
 * field to its default on an update as well, and requires `issuer` every
 * time.) Nothing is stored here, so a rejected update changes nothing.
 * @throws CofferError (400) naming the first invalid field and its value.
 */
function methodFromFields(mfa: LoginMfa, id: string, fields: MethodFieldData, existing: TotpMethod | undefined): TotpMethod {
  const pick = <K extends keyof typeof methodFields & string, V>(name: K, stored: V | undefined): V =>
    (fields.has(name) || stored === undefined ? fields.get(name) : stored) as V;
  const name = pick('method_name', existing?.name);
  const issuer = pick('issuer', existing?.issuer);
  const algorithm = pick<'algorithm', string>('algorithm', existing?.algorithm);
  const period = pick('period', existing?.period);
  const keySize = pick('key_size', existing?.keySize);
  const qrSize = pick('qr_size', existing?.qrSize);
  const digits = pick('digits', existing?.digits);
  const skew = pick('skew', existing?.skew);
  const maxAttempts = pick('max_validation_attempts', existing?.maxValidationAttempts);

  if (issuer === '') throw badRequest('missing issuer: set it to the name of your organization, which authenticator apps show');
  if (!(TOTP_ALGORITHMS as readonly string[]).includes(algorithm)) throw badRequest(`invalid algorithm "${algorithm}": use SHA1, SHA256 or SHA512`);
  if (period <= 0) throw badRequest(`invalid period ${period}: it must be at least 1 second`);
  if (period > MAX_PERIOD) throw badRequest(`invalid period ${period}: use 1 to ${MAX_PERIOD} seconds`);
  if (keySize <= 0 || keySize > MAX_KEY_SIZE) throw badRequest(`invalid key_size ${keySize}: use 1 to ${MAX_KEY_SIZE} bytes`);
  if (qrSize < 0 || qrSize > MAX_QR_SIZE) throw badRequest(`invalid qr_size ${qrSize}: use 0 to ${MAX_QR_SIZE} pixels`);
  if (digits !== 6 && digits !== 8) throw badRequest(`invalid digits ${digits}: use 6 or 8`);
  if (skew !== 0 && skew !== 1) throw badRequest(`invalid skew ${skew}: use 0 or 1`);
  if (maxAttempts < 0) throw badRequest(`invalid max_validation_attempts ${maxAttempts}: it must be 0 or more, and 0 means the default of 5`);
  const namesake = name === '' ? undefined : mfa.store.methodByIdOrName(name);
  if (namesake !== undefined && namesake.id !== id) throw badRequest(`invalid method_name "${name}": method "${namesake.id}" already has that name`);

  return {
    id,
    name,
    issuer,
    period,
    keySize,
    qrSize,
    algorithm: algorithm as TotpAlgorithm,
    digits,
    skew,
    maxValidationAttempts: maxAttempts === 0 ? 5 : maxAttempts,
  };
}

async function writeMethod(mfa: LoginMfa, id: string, fields: MethodFieldData): Promise<Response> {
  const existing = id === '' ? undefined : mfa.store.method(id);
  if (id !== '' && existing === undefined) throw badRequest(`invalid method_id "${id}": no TOTP method has this ID; list them at identity/mfa/method/totp`);
  const method = methodFromFields(mfa, id === '' ? randomUUID() : id, fields, existing);
  await mfa.store.putMethod(method);
  mfa.store.logger.info({ methodId: method.id }, 'totp mfa method written');
  return { data: { method_id: method.id } };
}

/** Finds the method a key-management request names. */
function requireMethod(mfa: LoginMfa, id: string): TotpMethod {
  if (id === '') throw badRequest('missing method_id: set it to the ID of a TOTP method, listed at identity/mfa/method/totp');
  const method = mfa.store.method(id);
  if (method === undefined) throw badRequest(`invalid method_id "${id}": no TOTP method has this ID`);
  return method;
}

/**
 * Creates an entity's key for a method and returns its URL and QR code. An
 * entity that already has a key keeps it and gets a warning, as in Vault,
 * so that a stolen token cannot replace the key.
 */
async function generateSecret(mfa: LoginMfa, method: TotpMethod, entityId: string, generating: Set<string>): Promise<Response> {
  const entity = mfa.store.identity.records.entity(entityId);
  if (entity === undefined) throw badRequest(`invalid entity_id "${entityId}": no entity has this ID`);
  // Checked and claimed with no await in between, so that of concurrent requests only one generates a key.
  const slot = `${method.id}/${entityId}`;
  if ((await mfa.store.readSecret(method.id, entityId)) !== undefined || generating.has(slot)) {
    return { data: null, warnings: [`Entity already has a secret for MFA method "${method.id}"`] };
  }
  generating.add(slot);

  try {
    // The QR code is rendered before the key is stored, so that a key is never kept without being returned.
    const key = generateTotpKey(method.keySize);
    const url = totpKeyUrl(method.issuer, entity.name, key, method);
    const barcode = method.qrSize === 0 ? '' : (await qrCode(mfa, method, entityId, url)).toString('base64');
    await mfa.store.putSecret(method.id, entityId, { key });
    mfa.store.logger.info({ methodId: method.id, entityId }, 'totp mfa secret generated');
    return { data: { barcode, url } };
  } finally {
    generating.delete(slot);
  }
}

/**
 * Renders the QR code of a key's URL.
 * @throws CofferError (400) when the URL is too long for a QR code, which a long issuer or key_size causes.
 */
async function qrCode(mfa: LoginMfa, method: TotpMethod, entityId: string, url: string): Promise<Buffer> {
  try {
    return await renderQrPng(url, method.qrSize);
  } catch (err) {
    // The URL contains the key, so only its length is logged.
    mfa.store.logger.warn({ methodId: method.id, entityId, urlLength: url.length, err: (err as Error).message }, 'totp qr code rendering failed');
    throw badRequest('the otpauth URL of the new key is too long for a QR code: shorten issuer, lower key_size, or set qr_size to 0 for no QR code');
  }
}

const keyFields = {
  method_id: { type: 'string', description: 'ID of the TOTP method.' },
  entity_id: { type: 'string', description: 'ID of the entity.' },
} as const;

export function totpMethodPaths(mfa: LoginMfa, callerEntityId: (requestId: string) => string): PathDefinition<FieldMap>[] {
  /** Method and entity pairs whose key a request is generating now. */
  const generating = new Set<string>();
  return [
    definePath({
      pattern: 'mfa/method/totp/generate',
      fields: { method_id: keyFields.method_id },
      operations: {
        async update(request, fields) {
          const method = requireMethod(mfa, fields.get('method_id'));
          const entityId = callerEntityId(request.id);
          if (entityId === '') throw badRequest('the token has no entity: log in through an auth method first, or have an administrator use admin-generate');
          return generateSecret(mfa, method, entityId, generating);
        },
      },
      helpSynopsis: "Generate a TOTP key for the caller's entity.",
      helpDescription: 'Returns the otpauth URL of the new key and its QR code as a base64 PNG.',
    }),
    definePath({
      pattern: 'mfa/method/totp/admin-generate',
      fields: keyFields,
      operations: {
        async update(_request, fields) {
          const method = requireMethod(mfa, fields.get('method_id'));
          const entityId = fields.get('entity_id');
          if (entityId === '') throw badRequest('missing entity_id: set it to the ID of the entity that gets the key');
          return generateSecret(mfa, method, entityId, generating);
        },
      },
      helpSynopsis: 'Generate a TOTP key for an entity.',
      helpDescription: 'Returns the otpauth URL of the new key and its QR code as a base64 PNG.',
    }),
    definePath({
      pattern: 'mfa/method/totp/admin-destroy',
      fields: keyFields,
      operations: {
        async update(_request, fields) {
          const method = requireMethod(mfa, fields.get('method_id'));
          const entityId = fields.get('entity_id');
          if (entityId === '') throw badRequest('missing entity_id: set it to the ID of the entity whose key is destroyed');
          if (mfa.store.identity.records.entity(entityId) === undefined) throw badRequest(`invalid entity_id "${entityId}": no entity has this ID`);
          // As in Vault, the attempt count is left alone: it lapses `period` seconds after the first attempt.
          await mfa.store.deleteSecret(method.id, entityId);
          mfa.store.logger.info({ methodId: method.id, entityId }, 'totp mfa secret destroyed');
          return null;
        },
      },
      helpSynopsis: "Destroy an entity's TOTP key.",
      helpDescription: 'Deletes the key, so that a new key can be generated.',
    }),
    definePath({
      pattern: 'mfa/method/totp/?',
      fields: methodFields,
      operations: {
        async list() {
          const methods = mfa.store.listMethods();
          const keyInfo: Record<string, unknown> = {};
          for (const method of methods) keyInfo[method.id] = describeMethod(method);
          return listResponse(
            methods.map((method) => method.id),
            keyInfo,
          );
        },
        update: async (_request, fields) => writeMethod(mfa, fields.get('method_id'), fields),
      },
      helpSynopsis: 'List TOTP methods, or create one.',
      helpDescription: 'A write without method_id creates a method and returns its generated ID.',
    }),
    definePath({
      pattern: `mfa/method/totp/${nameSegment('method_id')}`,
      fields: methodFields,
      operations: {
        async read(_request, fields) {
          const method = mfa.store.method(fields.get('method_id'));
          return method === undefined ? null : { data: describeMethod(method) };
        },
        update: async (_request, fields) => writeMethod(mfa, fields.get('method_id'), fields),
        async delete(_request, fields) {
          const id = fields.get('method_id');
          const users = mfa.store.enforcementsUsing(id);
          if (users.length > 0) {
            throw badRequest(`method "${id}" is used by the login enforcements ${users.map((enforcement) => `"${enforcement.name}"`).join(', ')}: remove it from them first`);
          }
          if (mfa.store.method(id) === undefined) return null;
          await mfa.store.deleteMethod(id);
          mfa.store.logger.info({ methodId: id }, 'totp mfa method deleted');
          return null;
        },
      },
      helpSynopsis: 'Read, update or delete a TOTP method. An update keeps the fields it leaves out.',
      helpDescription: 'Deleting a method deletes every key generated for it. A method that a login enforcement uses cannot be deleted.',
    }),
  ];
}
