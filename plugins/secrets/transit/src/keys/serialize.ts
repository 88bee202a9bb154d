/**
 * The stored form of a key policy: one JSON document per key at
 * `policy/<name>`, with every key version from `min_available_version` on.
 * Byte strings are standard base64 and times are milliseconds since the
 * Unix epoch. Backups carry the same document, so {@link parsePolicy}
 * checks every field as untrusted input.
 *
 * NOTE: this is Coffer's own format. Vault backups (its Go structs as JSON,
 * with big integers as JSON numbers) cannot be restored into Coffer, and
 * Coffer backups cannot be restored into Vault.
 */
import type { KeyObject } from 'node:crypto';
import { ed25519KeyFromSeed, ed25519PublicKeyBytes, publicKeyPem } from './key-material.js';
import { isPublicKeyOnly, privateKeyObject, publicKeyObject } from './key-objects.js';
import { ecPrivateKeyProblem, rsaPrivateKeyProblem, rsaPublicKeyProblem } from './key-validation.js';
import type { KeyEvent, KeyPolicy, KeyVersion } from './key-policy.js';
import {
  ecdsaCurve,
  HMAC_MAX_KEY_BYTES,
  HMAC_MIN_KEY_BYTES,
  isEcdsa,
  isKeyType,
  isRsa,
  isSymmetric,
  rsaModulusBits,
  supportsDerivation,
  symmetricKeyBytes,
  type KeyType,
} from './key-types.js';

/** Version of the stored document's layout. */
const FORMAT = 1;

/** Vault's `GenericNameRegex`, which key names in paths must match. */
const KEY_NAME_PATTERN = /^\w(?:[\w.@-]*\w)?$/;

const MIN_AUTO_ROTATE_SECONDS = 3600;

/** The latest time a JavaScript `Date` can hold: 100 million days after the epoch, in milliseconds. */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** Serializes a policy for storage or a backup. */
export function serializePolicy(policy: KeyPolicy): Buffer {
  const versions: Record<string, unknown> = {};
  for (const [number, version] of policy.versions) {
    versions[String(number)] = {
      created_at: version.createdAt,
      ...(version.key !== undefined ? { key: version.key.toString('base64') } : {}),
      hmac_key: version.hmacKey.toString('base64'),
      ...(version.privateKey !== undefined ? { private_key: version.privateKey.toString('base64') } : {}),
      ...(version.publicKey !== undefined ? { public_key: version.publicKey } : {}),
      ...(version.convergentVersion !== undefined ? { convergent_version: version.convergentVersion } : {}),
    };
  }
  return Buffer.from(
    JSON.stringify({
      format: FORMAT,
      name: policy.name,
      type: policy.type,
      derived: policy.derived,
      convergent_encryption: policy.convergentEncryption,
      exportable: policy.exportable,
      allow_plaintext_backup: policy.allowPlaintextBackup,
      deletion_allowed: policy.deletionAllowed,
      min_decryption_version: policy.minDecryptionVersion,
      min_encryption_version: policy.minEncryptionVersion,
      min_available_version: policy.minAvailableVersion,
      latest_version: policy.latestVersion,
      auto_rotate_period: policy.autoRotatePeriod,
      key_size: policy.keySize,
      backup_info: policy.backupInfo,
      restore_info: policy.restoreInfo,
      imported: policy.imported,
      allow_imported_key_rotation: policy.allowImportedKeyRotation,
      versions,
    }),
  );
}

/**
 * Parses and checks a serialized policy.
 *
 * @param checkKeyMaterial - Also parse each asymmetric key and check that
 *   its public key matches; set for backups, which may come from anywhere.
 * @throws Error whose message names the first field that is wrong.
 */
export function parsePolicy(text: Buffer | string, checkKeyMaterial: boolean): KeyPolicy {
  let document: unknown;
  try {
    document = JSON.parse(String(text));
  } catch {
    // The parser's message quotes the text around the error, which may be key material.
    throw new Error('not JSON');
  }
  const record = object(document, 'policy');
  if (record.format !== FORMAT) throw new Error(`format ${JSON.stringify(record.format)} is not ${FORMAT}`);

  const name = string(record.name, 'name');
  if (!KEY_NAME_PATTERN.test(name)) throw new Error(`name "${name}" is not a valid key name`);
  const typeName = string(record.type, 'type');
  if (!isKeyType(typeName)) throw new Error(`type "${typeName}" is not a key type`);

  const policy = {
    name,
    type: typeName,
    derived: boolean(record.derived, 'derived'),
    convergentEncryption: boolean(record.convergent_encryption, 'convergent_encryption'),
    exportable: boolean(record.exportable, 'exportable'),
    allowPlaintextBackup: boolean(record.allow_plaintext_backup, 'allow_plaintext_backup'),
    deletionAllowed: boolean(record.deletion_allowed, 'deletion_allowed'),
    minDecryptionVersion: integer(record.min_decryption_version, 'min_decryption_version', 1),
    minEncryptionVersion: integer(record.min_encryption_version, 'min_encryption_version', 0),
    minAvailableVersion: integer(record.min_available_version, 'min_available_version', 0),
    latestVersion: integer(record.latest_version, 'latest_version', 1),
    autoRotatePeriod: integer(record.auto_rotate_period, 'auto_rotate_period', 0),
    keySize: integer(record.key_size, 'key_size', 0),
    backupInfo: keyEvent(record.backup_info, 'backup_info'),
    restoreInfo: keyEvent(record.restore_info, 'restore_info'),
    // Policies stored before key import existed lack both fields.
    imported: optionalBoolean(record.imported, 'imported'),
    allowImportedKeyRotation: optionalBoolean(record.allow_imported_key_rotation, 'allow_imported_key_rotation'),
    versions: new Map<number, KeyVersion>(),
  };
  checkSettings(policy);

  const versions = object(record.versions, 'versions');
  const first = Math.max(policy.minAvailableVersion, 1);
  if (Object.keys(versions).length !== policy.latestVersion - first + 1) {
    throw new Error(`versions must hold exactly versions ${first} to ${policy.latestVersion}`);
  }
  for (let number = first; number <= policy.latestVersion; number++) {
    const field = `versions.${number}`;
    const version = parseVersion(object(versions[String(number)], field), field, policy);
    if (checkKeyMaterial) checkAsymmetricMaterial(policy.type, version, field);
    policy.versions.set(number, version);
  }
  return policy;
}

function checkSettings(policy: Omit<KeyPolicy, 'versions'>): void {
  if (policy.minDecryptionVersion > policy.latestVersion) throw new Error('min_decryption_version is above latest_version');
  if (policy.minEncryptionVersion > policy.latestVersion) throw new Error('min_encryption_version is above latest_version');
  if (policy.minEncryptionVersion > 0 && policy.minEncryptionVersion < policy.minDecryptionVersion) {
    throw new Error('min_encryption_version is below min_decryption_version');
  }
  if (policy.minAvailableVersion > policy.minDecryptionVersion) throw new Error('min_available_version is above min_decryption_version');
  if (policy.autoRotatePeriod !== 0 && policy.autoRotatePeriod < MIN_AUTO_ROTATE_SECONDS) {
    throw new Error('auto_rotate_period is neither 0 nor at least an hour');
  }
  const hmacType = policy.type === 'hmac';
  if (hmacType ? policy.keySize < HMAC_MIN_KEY_BYTES || policy.keySize > HMAC_MAX_KEY_BYTES : policy.keySize !== 0) {
    throw new Error(`key_size ${policy.keySize} does not fit key type ${policy.type}`);
  }
  if (policy.derived && !supportsDerivation(policy.type)) throw new Error(`key type ${policy.type} cannot be derived`);
  if (policy.convergentEncryption && (!policy.derived || !isSymmetric(policy.type))) {
    throw new Error('convergent_encryption needs a derived symmetric key');
  }
  if (policy.allowImportedKeyRotation && !policy.imported) throw new Error('allow_imported_key_rotation is set on a key that was not imported');
  if (policy.imported && policy.convergentEncryption) throw new Error('an imported key cannot use convergent encryption');
  if (policy.imported && !policy.allowImportedKeyRotation && policy.autoRotatePeriod !== 0) {
    throw new Error('auto_rotate_period is set on an imported key that does not allow rotation');
  }
}

function parseVersion(record: Record<string, unknown>, field: string, policy: Omit<KeyPolicy, 'versions'>): KeyVersion {
  const type = policy.type;
  const createdAt = time(record.created_at, `${field}.created_at`);
  const hmacKey = bytes(record.hmac_key, `${field}.hmac_key`);
  const version: { -readonly [K in keyof KeyVersion]: KeyVersion[K] } = { createdAt, hmacKey };

  if (publicKeyOnly(record, policy)) {
    if (policy.derived) throw new Error(`${field} has no private key, which a derived key needs`);
  } else if (isSymmetric(type) || type === 'hmac' || type === 'ed25519') {
    version.key = bytes(record.key, `${field}.key`);
    let expected = 64;
    if (isSymmetric(type)) expected = symmetricKeyBytes(type);
    else if (type === 'hmac') expected = policy.keySize;
    if (version.key.length !== expected) throw new Error(`${field}.key is ${version.key.length} bytes, expected ${expected}`);
  } else {
    version.privateKey = bytes(record.private_key, `${field}.private_key`);
  }
  if (type === 'hmac' ? !hmacKey.equals(version.key ?? Buffer.alloc(0)) : hmacKey.length !== 32) {
    throw new Error(`${field}.hmac_key does not fit key type ${type}`);
  }
  if (type === 'ed25519' || isEcdsa(type) || isRsa(type)) version.publicKey = string(record.public_key, `${field}.public_key`);

  if (policy.convergentEncryption) {
    if (record.convergent_version !== 3) throw new Error(`${field}.convergent_version must be 3`);
    version.convergentVersion = 3;
  } else if (record.convergent_version !== undefined) {
    throw new Error(`${field}.convergent_version is set on a key without convergent encryption`);
  }
  return version;
}

/**
 * Returns whether a stored version is an imported public key without its
 * private key: an imported asymmetric key whose version has neither `key`
 * nor `private_key`.
 */
function publicKeyOnly(record: Record<string, unknown>, policy: Omit<KeyPolicy, 'versions'>): boolean {
  const asymmetric = policy.type === 'ed25519' || isEcdsa(policy.type) || isRsa(policy.type);
  return asymmetric && policy.imported && record.key === undefined && record.private_key === undefined;
}

/** Parses each asymmetric key and checks its kind, size and public key. */
function checkAsymmetricMaterial(type: KeyType, version: KeyVersion, field: string): void {
  if (isPublicKeyOnly(version)) {
    checkPublicKeyOnly(type, version, field);
    return;
  }
  if (type === 'ed25519') {
    const seed = (version.key as Buffer).subarray(0, 32);
    const publicKey = ed25519PublicKeyBytes(ed25519KeyFromSeed(seed));
    if (!publicKey.equals((version.key as Buffer).subarray(32)) || publicKey.toString('base64') !== version.publicKey) {
      throw new Error(`${field}: the Ed25519 public key does not match the private key`);
    }
    return;
  }
  if (!isEcdsa(type) && !isRsa(type)) return;

  let key: KeyObject;
  try {
    key = privateKeyObject(type, version);
  } catch (err) {
    throw new Error(`${field}.private_key is not a PKCS#8 private key: ${(err as Error).message}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  const fits = isEcdsa(type)
    ? key.asymmetricKeyType === 'ec' && details.namedCurve === nodeCurveName(ecdsaCurve(type))
    : key.asymmetricKeyType === 'rsa' && details.modulusLength === rsaModulusBits(type);
  if (!fits) throw new Error(`${field}.private_key is not a ${type} key`);
  const problem = isRsa(type) ? rsaPrivateKeyProblem(key) : ecPrivateKeyProblem(key);
  if (problem !== null) throw new Error(`${field}.private_key ${problem}`);
  if (publicKeyPem(key) !== version.publicKey) {
    throw new Error(`${field}.public_key does not match the private key`);
  }
}

function checkPublicKeyOnly(type: KeyType, version: KeyVersion, field: string): void {
  if (type === 'ed25519' && Buffer.from(String(version.publicKey), 'base64').length !== 32) {
    throw new Error(`${field}.public_key is not a 32-byte Ed25519 public key`);
  }
  let key: KeyObject;
  try {
    key = publicKeyObject(type, version);
  } catch (err) {
    throw new Error(`${field}.public_key is not a public key: ${(err as Error).message}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  let fits = key.asymmetricKeyType === 'ed25519';
  if (isEcdsa(type)) fits = key.asymmetricKeyType === 'ec' && details.namedCurve === nodeCurveName(ecdsaCurve(type));
  if (isRsa(type)) fits = key.asymmetricKeyType === 'rsa' && details.modulusLength === rsaModulusBits(type);
  if (!fits) throw new Error(`${field}.public_key is not a ${type} key`);
  const problem = isRsa(type) ? rsaPublicKeyProblem(key) : null;
  if (problem !== null) throw new Error(`${field}.public_key ${problem}`);
}

/** Node reports the NIST curves by their OpenSSL names. */
function nodeCurveName(curve: 'P-256' | 'P-384' | 'P-521'): string {
  if (curve === 'P-256') return 'prime256v1';
  return curve === 'P-384' ? 'secp384r1' : 'secp521r1';
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${field} is not an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Error(`${field} is not a string`);
  return value;
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new Error(`${field} is not a boolean`);
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean {
  return value === undefined ? false : boolean(value, field);
}

function integer(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${field} is not an integer of at least ${min}`);
  }
  return value;
}

function bytes(value: unknown, field: string): Buffer {
  const text = string(value, field);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error(`${field} is not base64`);
  return Buffer.from(text, 'base64');
}

function keyEvent(value: unknown, field: string): KeyEvent | null {
  if (value === null || value === undefined) return null;
  const record = object(value, field);
  return { time: time(record.time, `${field}.time`), version: integer(record.version, `${field}.version`, 1) };
}

/**
 * Parses milliseconds since the Unix epoch. Key descriptions format times
 * with `Date`, which throws past {@link MAX_DATE_MS}.
 */
function time(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_DATE_MS) {
    throw new Error(`${field} is not a time in milliseconds from 0 to ${MAX_DATE_MS}`);
  }
  return value;
}
