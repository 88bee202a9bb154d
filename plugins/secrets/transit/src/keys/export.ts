/**
 * Key material in Vault's export formats (`builtin/logical/transit/path_export.go`):
 * raw keys in standard base64, ECDSA private keys as SEC 1 "EC PRIVATE KEY"
 * PEM, RSA private keys as PKCS#1 "RSA PRIVATE KEY" PEM, public keys as
 * "PUBLIC KEY" PEM (Ed25519: the raw 32 bytes in base64). Like Vault, the
 * ECDSA PEMs carry no trailing newline and the RSA PEMs do.
 */
import { badRequest } from '@coffer/sdk';
import { isPublicKeyOnly, privateKeyObject, PUBLIC_KEY_ONLY_MESSAGE, publicKeyObject } from './key-objects.js';
import type { KeyPolicy, KeyVersion } from './key-policy.js';
import { isEcdsa, isRsa, isSymmetric, supportsEncryption, supportsSigning } from './key-types.js';

export const EXPORT_TYPES = ['encryption-key', 'signing-key', 'hmac-key', 'public-key'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export function isExportType(value: string): value is ExportType {
  return (EXPORT_TYPES as readonly string[]).includes(value);
}

/**
 * Checks that the policy's type has key material of the export type.
 * @throws CofferError (400) naming the export type and the key type.
 */
export function checkExportable(policy: KeyPolicy, exportType: ExportType): void {
  const supported =
    exportType === 'hmac-key' ||
    (exportType === 'encryption-key' && supportsEncryption(policy.type)) ||
    ((exportType === 'signing-key' || exportType === 'public-key') && supportsSigning(policy.type));
  if (!supported) throw badRequest(`export type ${exportType} is not supported for key type ${policy.type}`);
}

/** Returns one version's key material in the export type's format. */
export function exportKeyMaterial(policy: KeyPolicy, version: KeyVersion, exportType: ExportType): string {
  switch (exportType) {
    case 'hmac-key':
      return version.hmacKey.toString('base64');
    case 'encryption-key':
      if (isSymmetric(policy.type)) return requireKey(version).toString('base64');
      return rsaPrivateKeyPem(policy, version);
    case 'signing-key':
      if (policy.type === 'ed25519') return requireKey(version).toString('base64');
      if (isEcdsa(policy.type)) return String(privateKeyObject(policy.type, version).export({ type: 'sec1', format: 'pem' })).trim();
      return rsaPrivateKeyPem(policy, version);
    case 'public-key':
      if (policy.type === 'ed25519') return String(version.publicKey);
      if (isEcdsa(policy.type)) return String(version.publicKey).trim();
      return String(publicKeyObject(policy.type, version).export({ type: 'spki', format: 'pem' }));
  }
}

function rsaPrivateKeyPem(policy: KeyPolicy, version: KeyVersion): string {
  if (!isRsa(policy.type)) throw new Error(`key type ${policy.type} has no RSA private key`);
  return String(privateKeyObject(policy.type, version).export({ type: 'pkcs1', format: 'pem' }));
}

function requireKey(version: KeyVersion): Buffer {
  if (isPublicKeyOnly(version)) throw badRequest(PUBLIC_KEY_ONLY_MESSAGE);
  if (version.key === undefined) throw new Error('key version contains no key bytes');
  return version.key;
}
