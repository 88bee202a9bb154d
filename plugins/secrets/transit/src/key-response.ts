/**
 * The key description that reading, creating, rotating, trimming and
 * configuring a key return: the fields of Vault's `formatKeyPolicy`.
 */
import { createPublicKey } from 'node:crypto';
import { formatTimestamp } from './clock.js';
import { versionKeyMaterial } from './keys/derivation.js';
import { ed25519KeyFromSeed, ed25519PublicKeyBytes } from './keys/key-material.js';
import { loadedVersions, type KeyEvent, type KeyPolicy, type KeyVersion } from './keys/key-policy.js';
import {
  ecdsaCurve,
  isEcdsa,
  isRsa,
  supportsDerivation,
  supportsEncryption,
  supportsSigning,
} from './keys/key-types.js';

/**
 * Describes a key. `keys` maps each version from `min_decryption_version`
 * on to its creation time in Unix seconds, or for asymmetric keys to its
 * name, public key and creation time.
 *
 * @param context - For a derived Ed25519 key, the context whose derived
 *   public keys to return. Without it the public keys are empty, as in Vault.
 */
export function describeKey(policy: KeyPolicy, context?: Buffer): Record<string, unknown> {
  const data: Record<string, unknown> = {
    name: policy.name,
    type: policy.type,
    derived: policy.derived,
    deletion_allowed: policy.deletionAllowed,
    min_available_version: policy.minAvailableVersion,
    min_decryption_version: policy.minDecryptionVersion,
    min_encryption_version: policy.minEncryptionVersion,
    latest_version: policy.latestVersion,
    exportable: policy.exportable,
    allow_plaintext_backup: policy.allowPlaintextBackup,
    supports_encryption: supportsEncryption(policy.type),
    supports_decryption: supportsEncryption(policy.type),
    supports_signing: supportsSigning(policy.type),
    supports_derivation: supportsDerivation(policy.type),
    auto_rotate_period: policy.autoRotatePeriod,
    imported_key: policy.imported,
  };
  if (policy.keySize !== 0) data.key_size = policy.keySize;
  if (policy.imported) data.imported_key_allow_rotation = policy.allowImportedKeyRotation;
  if (policy.backupInfo !== null) data.backup_info = describeEvent(policy.backupInfo);
  if (policy.restoreInfo !== null) data.restore_info = describeEvent(policy.restoreInfo);
  if (policy.derived) {
    data.kdf = 'hkdf_sha256';
    data.convergent_encryption = policy.convergentEncryption;
    // Vault stores the convergent version per key version since its
    // version 3 and reports -1 for the policy as a whole.
    if (policy.convergentEncryption) data.convergent_encryption_version = -1;
  }

  const keys: Record<string, unknown> = {};
  for (const [number, version] of loadedVersions(policy)) {
    keys[String(number)] = supportsSigning(policy.type)
      ? describeAsymmetricVersion(policy, version, context)
      : Math.floor(version.createdAt / 1000);
  }
  data.keys = keys;
  return data;
}

function describeAsymmetricVersion(policy: KeyPolicy, version: KeyVersion, context: Buffer | undefined): Record<string, unknown> {
  return {
    name: asymmetricName(policy),
    public_key: publicKeyText(policy, version, context),
    certificate_chain: '',
    creation_time: formatTimestamp(version.createdAt),
  };
}

function publicKeyText(policy: KeyPolicy, version: KeyVersion, context: Buffer | undefined): string {
  if (isRsa(policy.type) || isEcdsa(policy.type)) return String(version.publicKey);
  if (!policy.derived) return String(version.publicKey);
  if (context === undefined || context.length === 0) return '';
  const derived = ed25519KeyFromSeed(versionKeyMaterial(policy, version, context, 32));
  return ed25519PublicKeyBytes(createPublicKey(derived)).toString('base64');
}

function asymmetricName(policy: KeyPolicy): string {
  if (isEcdsa(policy.type)) return ecdsaCurve(policy.type);
  return policy.type;
}

function describeEvent(event: KeyEvent): Record<string, unknown> {
  return { time: formatTimestamp(event.time), version: event.version };
}
