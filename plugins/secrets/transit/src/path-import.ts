/**
 * `keys/:name/import` and `keys/:name/import_version`: bring your own key.
 * A client wraps key material with the mount's wrapping key (see
 * path-wrapping-key.ts and keys/import.ts), and the engine stores it as a new
 * key or as a new version of a key that was imported before.
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition, type Storage } from '@coffer/sdk';
import type { TransitContext } from './context.js';
import { invalidField, missingField } from './errors.js';
import { CONTEXT_FIELD, decodeBase64Field, decodeOptionalBase64, NAME_FIELD } from './fields.js';
import {
  completePublicKeyVersion,
  IMPORT_HASH_FUNCTIONS,
  importedKeyVersion,
  importedPublicKeyVersion,
  parseHashFunction,
  supportsPublicKeyImport,
  unwrapKeyMaterial,
  type ImportHashFunction,
} from './keys/import.js';
import { isPublicKeyOnly } from './keys/key-objects.js';
import { latestKeyVersion, type DraftPolicy, type KeyVersion } from './keys/key-policy.js';
import { appendVersion } from './keys/key-store.js';
import { DEFAULT_KEY_TYPE, KEY_TYPES, type KeyType } from './keys/key-types.js';
import { autoRotatePeriodTooLong, keySpec } from './path-keys.js';

const CIPHERTEXT_FIELD = {
  type: 'string',
  description:
    'Base64 of the 512-byte RSA-OAEP encryption of a random AES-256 key under wrapping_key, followed by the key material wrapped with that AES key by AES key wrap with padding (RFC 5649).',
} as const;

const HASH_FUNCTION_FIELD = {
  type: 'string',
  default: 'SHA256',
  description: `Hash of the RSA-OAEP encryption of the AES key, also used by MGF1: ${IMPORT_HASH_FUNCTIONS.join(', ')}.`,
} as const;

const PUBLIC_KEY_FIELD = {
  type: 'string',
  description:
    'PEM public key (SubjectPublicKeyInfo) of an ed25519, ECDSA or RSA key, in place of ciphertext, to import the public key alone: it verifies signatures and RSA keys encrypt with it.',
} as const;

const IMPORT_FIELDS = {
  name: NAME_FIELD,
  ciphertext: CIPHERTEXT_FIELD,
  public_key: PUBLIC_KEY_FIELD,
  hash_function: HASH_FUNCTION_FIELD,
  type: {
    type: 'string',
    default: DEFAULT_KEY_TYPE,
    description: `Type of the imported key: ${KEY_TYPES.join(', ')}. Symmetric and hmac keys are raw bytes, and the others are PKCS#8 DER private keys.`,
  },
  allow_rotation: { type: 'bool', description: 'Allow rotate and automatic rotation to add generated versions to the imported key.' },
  derived: { type: 'bool', description: 'Derive a key per request from a context that every request must carry.' },
  context: CONTEXT_FIELD,
  exportable: { type: 'bool', description: 'Allow export of the key material. Once set, it cannot be unset.' },
  allow_plaintext_backup: { type: 'bool', description: 'Allow plaintext backups of the key. Once set, it cannot be unset.' },
  auto_rotate_period: {
    type: 'duration',
    description: 'Time between automatic rotations, at least 1h, and only with allow_rotation. 0 (the default) turns them off.',
    tooLong: autoRotatePeriodTooLong,
  },
  convergent_encryption: { type: 'bool', description: 'Imported keys cannot use convergent encryption, so true is rejected.' },
} as const;

const IMPORT_VERSION_FIELDS = {
  name: NAME_FIELD,
  ciphertext: CIPHERTEXT_FIELD,
  public_key: PUBLIC_KEY_FIELD,
  hash_function: HASH_FUNCTION_FIELD,
  version: {
    type: 'int',
    description:
      'Version imported with its public key only whose private key the ciphertext contains. Without it, such a latest version is completed when the keys match, and otherwise a new version is added.',
  },
} as const;

/** Vault's message for an import onto an existing key name. */
const EXISTING_KEY_MESSAGE = 'the import path cannot be used with an existing key; use import-version to rotate an existing imported key';

export function pathImport(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}/import`,
    fields: IMPORT_FIELDS,
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        if (fields.get('convergent_encryption')) {
          throw invalidField('convergent_encryption', 'import cannot be used on keys with convergent encryption enabled');
        }
        const spec = keySpec({
          // Vault's import reads the type without regard to case, unlike key creation.
          type: fields.get('type').toLowerCase(),
          derived: fields.get('derived'),
          convergent: false,
          exportable: fields.get('exportable'),
          allowPlaintextBackup: fields.get('allow_plaintext_backup'),
          autoRotatePeriod: fields.get('auto_rotate_period'),
          keySize: 0,
        });
        const allowRotation = fields.get('allow_rotation');
        if (spec.autoRotatePeriod !== 0 && !allowRotation) {
          throw invalidField('auto_rotate_period', 'allow_rotation must be set to true if auto-rotation is enabled');
        }
        // Vault takes a context here too but does not use it. Coffer only checks its encoding.
        decodeOptionalBase64('context', fields.get('context'));
        const source = readKeySource(fields.get('ciphertext'), fields.get('public_key'));
        const hashFunction = parseHashFunction(fields.get('hash_function'));
        if (source.publicKey !== undefined) checkPublicKeyImport(spec.type, spec.derived);
        if ((await context.store.get(request.storage, name)) !== null) throw badRequest(EXISTING_KEY_MESSAGE);

        const version =
          source.publicKey !== undefined
            ? importedPublicKeyVersion(spec.type, source.publicKey, context.clock.now())
            : await unwrapVersion(context, request.storage, spec.type, source.ciphertext, hashFunction);
        const keySize = spec.type === 'hmac' ? (version.key as Buffer).length : 0;
        const policy = await context.store.createImported(request.storage, name, { ...spec, keySize }, version, allowRotation);
        if (policy === null) {
          wipeVersion(version);
          throw badRequest(EXISTING_KEY_MESSAGE);
        }
        return null;
      },
    },
    helpSynopsis: 'Import externally generated key material as a new key.',
    helpDescription: `
Creates a key whose first version is the unwrapped key material. It fails when
a key of that name exists: use import_version to add versions to an imported
key. Without allow_rotation, rotate and automatic rotation are rejected, so
every version of the key comes from outside the engine.`,
  });
}

export function pathImportVersion(context: TransitContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}/import_version`,
    fields: IMPORT_VERSION_FIELDS,
    operations: {
      update: async (request, fields) => {
        const name = fields.get('name');
        const source = readKeySource(fields.get('ciphertext'), fields.get('public_key'));
        const hashFunction = parseHashFunction(fields.get('hash_function'));
        const target = fields.getIfSet('version');
        if (target !== undefined && source.publicKey !== undefined) {
          throw invalidField('version', 'version only applies with ciphertext, because a public key always becomes a new version');
        }
        const current = await context.store.get(request.storage, name);
        if (current === null) throw badRequest(`no key found with name ${name}; to import a new key, use the import/ endpoint`);
        if (!current.imported) throw badRequest(NOT_IMPORTED_MESSAGE);
        if (source.publicKey !== undefined) checkPublicKeyImport(current.type, current.derived);

        const version =
          source.publicKey !== undefined
            ? importedPublicKeyVersion(current.type, source.publicKey, context.clock.now())
            : await unwrapVersion(context, request.storage, current.type, source.ciphertext, hashFunction);
        if (current.type === 'hmac' && version.key?.length !== current.keySize) {
          const length = version.key?.length ?? 0;
          wipeVersion(version);
          throw invalidField('ciphertext', `the unwrapped key is ${length} bytes, but key "${name}" has key_size ${current.keySize}`);
        }
        const updated = await context.store
          .update(request.storage, name, (draft) => {
            // The key may have been deleted and created again while the material was unwrapped.
            if (!draft.imported) throw badRequest(NOT_IMPORTED_MESSAGE);
            if (draft.type !== current.type || draft.keySize !== current.keySize) {
              throw badRequest(`key "${name}" was replaced while its new version was unwrapped: send the request again`);
            }
            addImportedVersion(draft, version, target);
          })
          .catch((err: unknown) => {
            wipeVersion(version);
            throw err;
          });
        if (updated === null) throw badRequest(`no key found with name ${name}; to import a new key, use the import/ endpoint`);
        return null;
      },
    },
    helpSynopsis: 'Import externally generated key material as a new version of an imported key.',
    helpDescription: `
Adds a version to a key created by keys/:name/import, whether or not that key
allows rotation. The new version becomes the latest and is used for new
encryptions and signatures; older versions still decrypt and verify.`,
  });
}

/** Vault's message for import_version on a key the engine generated. */
const NOT_IMPORTED_MESSAGE = 'the import_version endpoint can only be used with an imported key';

/** The key material of a request: wrapped material, or a PEM public key alone. */
type KeySource = { ciphertext: Buffer; publicKey?: undefined } | { ciphertext?: undefined; publicKey: string };

function readKeySource(ciphertext: string, publicKey: string): KeySource {
  if (ciphertext !== '' && publicKey !== '') throw invalidField('public_key', 'give either ciphertext or public_key, not both');
  if (publicKey !== '') return { publicKey };
  if (ciphertext === '') {
    throw missingField('ciphertext', "give the key material wrapped for this mount's wrapping_key, or public_key to import a public key alone");
  }
  return { ciphertext: decodeBase64Field('ciphertext', ciphertext) };
}

/** @throws CofferError (400) on field "public_key" when the key cannot be imported as a public key alone. */
function checkPublicKeyImport(type: KeyType, derived: boolean): void {
  if (!supportsPublicKeyImport(type)) throw invalidField('public_key', `key type ${type} has no public key: import it with ciphertext`);
  if (derived) throw invalidField('public_key', 'a derived key cannot be imported as a public key alone, because derivation needs the private key');
}

/**
 * Adds an imported version to a draft. With `target`, private key material
 * completes that version, which must have been imported as a public key
 * alone. Without it, the material completes such a latest version when the
 * public keys match, and otherwise becomes a new version.
 */
function addImportedVersion(draft: DraftPolicy, version: KeyVersion, target: number | undefined): void {
  if (target === undefined) {
    const latest = latestKeyVersion(draft);
    const completed = isPublicKeyOnly(latest) && !isPublicKeyOnly(version) ? completePublicKeyVersion(latest, version) : null;
    if (completed !== null) draft.versions.set(draft.latestVersion, completed);
    else appendVersion(draft, version);
    return;
  }

  const existing = draft.versions.get(target);
  if (existing === undefined || target < draft.minDecryptionVersion) {
    throw invalidField('version', `version ${target} of key "${draft.name}" does not exist or is below min_decryption_version`);
  }
  if (!isPublicKeyOnly(existing)) throw invalidField('version', `version ${target} of key "${draft.name}" already has its private key`);
  const completed = completePublicKeyVersion(existing, version);
  if (completed === null) throw invalidField('ciphertext', `the unwrapped private key does not match the public key of version ${target}`);
  draft.versions.set(target, completed);
}

/**
 * Unwraps the request's key material with the mount's wrapping key and
 * builds a version of `type` from it.
 * @throws CofferError (400) when the mount has no wrapping key yet: no
 *   client can have wrapped material for it, and generating one here would
 *   change storage for a request that must fail.
 */
async function unwrapVersion(
  context: TransitContext,
  storage: Storage,
  type: KeyType,
  ciphertext: Buffer,
  hashFunction: ImportHashFunction,
): Promise<KeyVersion> {
  const wrappingKey = await context.wrappingKeys.find(storage);
  if (wrappingKey === null) throw invalidField('ciphertext', 'this mount has no wrapping key yet: read wrapping_key and wrap the key with it');
  const material = await unwrapKeyMaterial(wrappingKey, ciphertext, hashFunction);
  return importedKeyVersion(type, material, context.clock.now());
}

/** Zeroes the key material of a version that will not be stored. */
function wipeVersion(version: KeyVersion): void {
  version.key?.fill(0);
  version.privateKey?.fill(0);
}
