/**
 * The seal plugin kind: a seal protects the server's root key with a key the
 * server never has, kept by an HSM, a cloud KMS or another server's transit
 * engine. The server encrypts the root key with the seal at init and
 * decrypts it at every start, which is what lets it unseal itself.
 *
 * The blob format follows the one Vault's wrapping library (go-kms-wrapping)
 * stores: ciphertext, IV, optional HMAC and the key that made them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Logger } from './logger.js';

/** The key and mechanism that produced a blob, so decryption picks the same ones after a key rotation. */
export interface SealKeyInfo {
  /**
   * Seal-specific mechanism number, e.g. a PKCS#11 `CKM_*` value such as
   * `0x1087` for AES-GCM. 0 when the seal has only one.
   */
  mechanism: number;
  /** Mechanism of the HMAC in `BlobInfo.hmac`; 0 when there is none. */
  hmacMechanism: number;
  /** The seal key's ID as `Seal.keyId()` returned it when encrypting. */
  keyId: string;
  /** ID of the key that made `BlobInfo.hmac`; empty when there is none. */
  hmacKeyId: string;
  /**
   * With envelope encryption, the data key encrypted by the seal key. The
   * plaintext was then encrypted locally with the data key.
   */
  wrappedKey?: Buffer;
}

/** One encrypted value, as a seal returns it and the server stores it. */
export interface BlobInfo {
  ciphertext: Buffer;
  /** The IV or nonce; empty when the seal's service chooses and embeds its own. */
  iv: Buffer;
  /** Optional MAC over the IV and ciphertext, made by a separate HMAC key. */
  hmac?: Buffer;
  keyInfo: SealKeyInfo;
}

/**
 * An open seal. Every method may be called again after a failure: a seal
 * whose service is unreachable throws, and the server retries with backoff.
 */
export interface Seal {
  /** The seal type, as in the `seal "<type>"` stanza, e.g. `pkcs11`. */
  readonly type: string;
  /**
   * Returns the ID of the key that `encrypt` uses now.
   * @throws Error when the service cannot be reached.
   */
  keyId(): Promise<string>;
  /**
   * Encrypts `plaintext`. `aad` is bound to the ciphertext where the
   * mechanism supports associated data, so a blob moved to another use
   * fails to decrypt.
   * @throws Error when the service cannot be reached or rejects the request.
   */
  encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo>;
  /**
   * Decrypts a blob made by `encrypt`, with the key its `keyInfo` names.
   * @throws Error when the blob, the key or `aad` is wrong, or the service
   *   cannot be reached. The message never contains key material.
   */
  decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer>;
  /** Releases connections and sessions. The seal is not used afterwards. */
  close(): Promise<void>;
}

/** Arguments a seal factory receives besides its settings. */
export interface SealContext {
  logger: Logger;
  /**
   * Environment variables a seal may read settings from, such as Vault's
   * `VAULT_HSM_PIN`; `process.env` when absent.
   */
  env?: Record<string, string | undefined>;
}

/**
 * A seal type: opens a seal from the `seal` stanza's settings.
 *
 * `create` checks the settings and fails on a bad one, naming it. It should
 * not fail because the HSM or service is unreachable at that moment:
 * connect on first use instead, so the server can start and retry.
 */
export interface SealPlugin {
  kind: 'seal';
  /** The stanza label, e.g. `pkcs11` or `transit`. */
  name: string;
  /** The plugin's own semantic version. */
  version: string;
  /** The SDK version the plugin was built against. */
  sdkVersion: string;
  /**
   * Names of the settings the seal accepts; any other setting in the stanza
   * stops start-up with an error naming it.
   */
  settings: readonly string[];
  /**
   * Validates `settings` and returns the seal.
   * @throws Error with a message naming the setting and the fix.
   */
  create(settings: Record<string, string>, context: SealContext): Promise<Seal>;
}

/** Stored form of a `BlobInfo`: JSON with base64 buffers. */
export interface EncodedBlobInfo {
  ciphertext: string;
  iv: string;
  hmac?: string;
  key_info: {
    mechanism: number;
    hmac_mechanism: number;
    key_id: string;
    hmac_key_id: string;
    wrapped_key?: string;
  };
}

/** Converts a blob to its JSON form for storage. */
export function encodeBlobInfo(blob: BlobInfo): EncodedBlobInfo {
  const keyInfo: EncodedBlobInfo['key_info'] = {
    mechanism: blob.keyInfo.mechanism,
    hmac_mechanism: blob.keyInfo.hmacMechanism,
    key_id: blob.keyInfo.keyId,
    hmac_key_id: blob.keyInfo.hmacKeyId,
  };
  if (blob.keyInfo.wrappedKey !== undefined) keyInfo.wrapped_key = blob.keyInfo.wrappedKey.toString('base64');
  const encoded: EncodedBlobInfo = { ciphertext: blob.ciphertext.toString('base64'), iv: blob.iv.toString('base64'), key_info: keyInfo };
  if (blob.hmac !== undefined) encoded.hmac = blob.hmac.toString('base64');
  return encoded;
}

/**
 * Converts the JSON form back to a blob.
 * @throws Error when a field is missing or has the wrong type.
 */
export function decodeBlobInfo(value: unknown): BlobInfo {
  const record = value as Partial<EncodedBlobInfo> | null;
  const keyInfo = record?.key_info;
  if (typeof record?.ciphertext !== 'string' || typeof record.iv !== 'string' || typeof keyInfo !== 'object' || keyInfo === null) {
    throw new Error('invalid sealed blob: expected "ciphertext", "iv" and "key_info"');
  }
  if (typeof keyInfo.key_id !== 'string' || typeof keyInfo.mechanism !== 'number') {
    throw new Error('invalid sealed blob: "key_info" needs "key_id" and "mechanism"');
  }
  const blob: BlobInfo = {
    ciphertext: Buffer.from(record.ciphertext, 'base64'),
    iv: Buffer.from(record.iv, 'base64'),
    keyInfo: {
      mechanism: keyInfo.mechanism,
      hmacMechanism: keyInfo.hmac_mechanism ?? 0,
      keyId: keyInfo.key_id,
      hmacKeyId: keyInfo.hmac_key_id ?? '',
    },
  };
  if (typeof record.hmac === 'string') blob.hmac = Buffer.from(record.hmac, 'base64');
  if (typeof keyInfo.wrapped_key === 'string') blob.keyInfo.wrappedKey = Buffer.from(keyInfo.wrapped_key, 'base64');
  return blob;
}

/** Result of `envelopeEncrypt`: the local ciphertext and the data key to wrap. */
export interface Envelope {
  /** Ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
  /** 12-byte GCM nonce. */
  iv: Buffer;
  /** The fresh AES-256 data key. Wrap it with the seal key, then zero it with `fill(0)`. */
  key: Buffer;
}

const ENVELOPE_TAG_BYTES = 16;

/**
 * Encrypts `plaintext` with a fresh AES-256-GCM data key, for seals whose key
 * can only encrypt a few bytes (RSA) or whose service limits request size.
 */
export function envelopeEncrypt(plaintext: Buffer, aad?: Buffer): Envelope {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext, iv, key };
}

/**
 * Reverses `envelopeEncrypt` with the unwrapped data key.
 * @throws Error when the key, IV, `aad` or any byte of the ciphertext is wrong.
 */
export function envelopeDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, aad?: Buffer): Buffer {
  if (ciphertext.length < ENVELOPE_TAG_BYTES) throw new Error('invalid envelope ciphertext: shorter than the GCM tag');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - ENVELOPE_TAG_BYTES));
  return Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - ENVELOPE_TAG_BYTES)), decipher.final()]);
}
