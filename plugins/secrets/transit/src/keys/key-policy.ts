/**
 * A named key and its versions: the engine's unit of storage, which Vault
 * calls a key policy. Policies are treated as immutable values: a change
 * builds a new policy with {@link clonePolicy}, persists it, and only then
 * replaces the cached one, so no request reads a half-applied change.
 */
import type { KeyType } from './key-types.js';

/**
 * One version of a key. Which fields are set depends on the type:
 * - symmetric types: `key` (16 or 32 bytes) and `hmacKey`
 * - `hmac`: `key` of the configured size, and `hmacKey` equal to it
 * - `ed25519`: `key` as Go lays it out (32-byte seed then 32-byte public
 *   key, which also feeds key derivation), `publicKey` and `hmacKey`
 * - ECDSA and RSA: `privateKey` (PKCS#8 DER), `publicKey` and `hmacKey`
 *
 * No field is ever logged or returned, except through export and backup.
 */
export interface KeyVersion {
  /** Creation time in milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly key?: Buffer;
  /** The key behind `hmac/`; every version has one. */
  readonly hmacKey: Buffer;
  /** PKCS#8 DER of an ECDSA or RSA private key. */
  readonly privateKey?: Buffer;
  /** ECDSA and RSA: SubjectPublicKeyInfo PEM with a trailing newline. Ed25519: the raw 32 bytes in base64. */
  readonly publicKey?: string;
  /**
   * Set on versions of convergent keys: how the nonce is derived. Coffer
   * only creates version 3, Vault's current scheme.
   */
  readonly convergentVersion?: number;
}

/** When a backup or a restore of the key happened, and its latest version then. */
export interface KeyEvent {
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  readonly version: number;
}

export interface KeyPolicy {
  readonly name: string;
  readonly type: KeyType;
  /** Every operation derives a per-context key with HKDF-SHA256 and needs `context`. */
  readonly derived: boolean;
  readonly convergentEncryption: boolean;
  readonly exportable: boolean;
  readonly allowPlaintextBackup: boolean;
  readonly deletionAllowed: boolean;
  /** Versions below it are refused for decryption, verification and export. Always 1 or more. */
  readonly minDecryptionVersion: number;
  /** Versions below it are refused for encryption, signing and HMAC; 0 allows every version. */
  readonly minEncryptionVersion: number;
  /** Versions below it were trimmed and are gone. It is 0 before the first trim. */
  readonly minAvailableVersion: number;
  readonly latestVersion: number;
  /** Seconds between automatic rotations, or 0 for none. */
  readonly autoRotatePeriod: number;
  /** Key length in bytes of an `hmac` key, and 0 for other types. */
  readonly keySize: number;
  readonly backupInfo: KeyEvent | null;
  readonly restoreInfo: KeyEvent | null;
  /** Every version from `max(minAvailableVersion, 1)` to `latestVersion`. */
  readonly versions: ReadonlyMap<number, KeyVersion>;
}

/** A policy whose fields a change may set before it is persisted. */
export type DraftPolicy = { -readonly [K in keyof KeyPolicy]: KeyPolicy[K] } & { versions: Map<number, KeyVersion> };

/** Copies a policy for a change. Versions are shared, because they never change. */
export function clonePolicy(policy: KeyPolicy): DraftPolicy {
  return { ...policy, versions: new Map(policy.versions) };
}

/**
 * Returns the version if requests may still use it: it exists and is not
 * below `min_decryption_version`. Vault keeps older versions in an archive
 * that requests cannot reach, and so does this check.
 */
export function loadedVersion(policy: KeyPolicy, version: number): KeyVersion | undefined {
  if (version < policy.minDecryptionVersion) return undefined;
  return policy.versions.get(version);
}

/** Returns the versions requests may use, in ascending order. */
export function loadedVersions(policy: KeyPolicy): Array<[number, KeyVersion]> {
  const result: Array<[number, KeyVersion]> = [];
  for (let version = policy.minDecryptionVersion; version <= policy.latestVersion; version++) {
    const entry = policy.versions.get(version);
    if (entry !== undefined) result.push([version, entry]);
  }
  return result;
}

/** Returns the latest version, which every policy has. */
export function latestKeyVersion(policy: KeyPolicy): KeyVersion {
  const entry = policy.versions.get(policy.latestVersion);
  if (entry === undefined) throw new Error(`key "${policy.name}" has no version ${policy.latestVersion}`);
  return entry;
}
