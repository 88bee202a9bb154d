/**
 * `keys/` and `keys/:name`: list, create, read and delete keys.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField } from './errors.js';
import { CONTEXT_FIELD, decodeOptionalBase64, NAME_FIELD } from './fields.js';
import { describeKey } from './key-response.js';
import type { KeySpec } from './keys/key-store.js';
import {
  DEFAULT_KEY_TYPE,
  HMAC_DEFAULT_KEY_BYTES,
  HMAC_MAX_KEY_BYTES,
  HMAC_MIN_KEY_BYTES,
  isKeyType,
  isSymmetric,
  KEY_TYPES,
  supportsDerivation,
} from './keys/key-types.js';

/** Vault's shortest automatic rotation period: one hour, in seconds. */
export const MIN_AUTO_ROTATE_SECONDS = 3600;

/**
 * Maximum automatic rotation period in seconds, the largest Go `time.Duration`
 * that Vault keeps it in. Without a limit, a period above 2^53 made the stored key unreadable.
 */
export const MAX_AUTO_ROTATE_SECONDS = 9_223_372_036;

const CREATE_FIELDS = {
  name: NAME_FIELD,
  type: { type: 'string', default: DEFAULT_KEY_TYPE, description: `Type of key to create: ${KEY_TYPES.join(', ')}.` },
  derived: { type: 'bool', description: 'Derive a key per request from a context that every request must carry.' },
  convergent_encryption: {
    type: 'bool',
    description: 'Encrypt equal plaintexts under equal contexts to equal ciphertexts. Needs derived and a symmetric type.',
  },
  exportable: { type: 'bool', description: 'Allow export of the key material. Once set, it cannot be unset.' },
  allow_plaintext_backup: { type: 'bool', description: 'Allow plaintext backups of the key. Once set, it cannot be unset.' },
  auto_rotate_period: {
    type: 'duration',
    description: 'Time between automatic rotations, at least 1h. 0 (the default) turns them off.',
    tooLong: autoRotatePeriodTooLong,
  },
  key_size: { type: 'int', description: `Key length in bytes of an hmac key, from ${HMAC_MIN_KEY_BYTES} to ${HMAC_MAX_KEY_BYTES}; defaults to ${HMAC_DEFAULT_KEY_BYTES}.` },
  context: CONTEXT_FIELD,
} as const;

export function pathListKeys(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'keys/?',
    fields: {},
    operations: {
      list: async (request) => {
        const names = await context.store.list(request.storage);
        return names.length === 0 ? null : { data: { keys: names } };
      },
    },
    helpSynopsis: 'List the names of the keys.',
    helpDescription: 'Lists the names of the keys of the mount, never their material.',
  });
}

export function pathKeys(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}`,
    fields: CREATE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const spec = keySpec({
          type: fields.get('type'),
          derived: fields.get('derived'),
          convergent: fields.get('convergent_encryption'),
          exportable: fields.get('exportable'),
          allowPlaintextBackup: fields.get('allow_plaintext_backup'),
          autoRotatePeriod: fields.get('auto_rotate_period'),
          keySize: fields.get('key_size'),
        });

        const { policy, created } = await context.store.create(request.storage, name, spec);
        const response = { data: describeKey(policy) };
        return created ? response : { ...response, warnings: [`key ${name} already existed`] };
      },
      read: async (request, fields) => {
        const derivationContext = decodeOptionalBase64('context', fields.get('context'));
        const policy = await context.store.get(request.storage, fields.get('name'));
        return policy === null ? null : { data: describeKey(policy, derivationContext) };
      },
      delete: async (request, fields) => {
        const name = fields.get('name');
        const deleted = await context.store.delete(request.storage, name, (policy) => {
          if (!policy.deletionAllowed) throw badRequest(`error deleting policy ${name}: deletion is not allowed for this key`);
        });
        if (!deleted) throw badRequest(`error deleting policy ${name}: could not delete key; not found`);
        return null;
      },
    },
    helpSynopsis: 'Create, read and delete a named key.',
    helpDescription: `
A write creates the key with new random key material, unless a key of that
name exists, in which case the existing key is returned with a warning. A read
returns the key's settings and, per version, its creation time or public key;
never private material. A delete needs deletion_allowed set through the key's
config path, and destroys every version: data encrypted with it is lost.`,
  });
}

interface CreateRequest {
  type: string;
  derived: boolean;
  convergent: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  autoRotatePeriod: number;
  keySize: number;
}

/**
 * Checks the settings of a new key with Vault's rules.
 * @throws CofferError (400) naming the first field that is wrong.
 */
export function keySpec(input: CreateRequest): KeySpec {
  const { type, derived, convergent, autoRotatePeriod, keySize } = input;
  checkAutoRotatePeriod(autoRotatePeriod);
  if (!isKeyType(type)) throw invalidField('type', `unknown key type "${type}": use one of ${KEY_TYPES.join(', ')}`);
  if (keySize !== 0 && type !== 'hmac') throw invalidField('key_size', `${keySize}: key_size only applies to hmac keys, not ${type}`);
  if (type === 'hmac' && keySize !== 0 && (keySize < HMAC_MIN_KEY_BYTES || keySize > HMAC_MAX_KEY_BYTES)) {
    throw invalidField('key_size', `${keySize} is outside ${HMAC_MIN_KEY_BYTES} to ${HMAC_MAX_KEY_BYTES} bytes`);
  }
  if (convergent && !derived) throw invalidField('convergent_encryption', 'convergent encryption requires derived to be true');
  if (derived && !supportsDerivation(type)) throw invalidField('derived', `key derivation is not supported for keys of type ${type}`);
  if (convergent && !isSymmetric(type)) {
    throw invalidField('convergent_encryption', `convergent encryption is not supported for keys of type ${type}`);
  }

  return {
    type,
    derived,
    convergentEncryption: convergent,
    exportable: input.exportable,
    allowPlaintextBackup: input.allowPlaintextBackup,
    autoRotatePeriod,
    keySize: type === 'hmac' ? keySize || HMAC_DEFAULT_KEY_BYTES : 0,
  };
}

/**
 * Checks an automatic rotation period in seconds: 0, or from an hour to
 * {@link MAX_AUTO_ROTATE_SECONDS}.
 * @throws CofferError (400) naming the field and the limit.
 */
export function checkAutoRotatePeriod(period: number): void {
  if (period !== 0 && period < MIN_AUTO_ROTATE_SECONDS) {
    throw invalidField('auto_rotate_period', `${period}s is shorter than an hour: use 0 to turn rotation off or at least 1h`);
  }
  if (period > MAX_AUTO_ROTATE_SECONDS) throw invalidField('auto_rotate_period', autoRotatePeriodTooLong(period, period));
}

/**
 * Returns the error for an automatic rotation period past MAX_AUTO_ROTATE_SECONDS,
 * for the field parser, which rejects one, and for checkAutoRotatePeriod.
 */
export function autoRotatePeriodTooLong(_raw: unknown, period: number): string {
  return `${period}s is longer than the maximum of ${MAX_AUTO_ROTATE_SECONDS}s (about 292 years)`;
}
