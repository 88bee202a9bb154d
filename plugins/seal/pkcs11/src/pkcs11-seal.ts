/**
 * The pkcs11 seal: the root key is encrypted inside an HSM with AES-256-GCM,
 * or with RSA-OAEP wrapping a local AES-256-GCM data key (envelope
 * encryption, because RSA encrypts only a few hundred bytes). With an HMAC
 * key, every blob also carries an HMAC made and checked inside the HSM.
 *
 * The session is opened on first use. A failed operation closes it, so the
 * next call reconnects: an HSM that was unreachable is picked up again
 * without restarting the server.
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { envelopeDecrypt, envelopeEncrypt, type BlobInfo, type Logger, type Seal } from '@coffer/sdk';
import { connect, disconnect, loadEncryptionKey, type Connection, type EncryptionKey } from './session.js';
import { CKM_AES_GCM, CKM_RSA_PKCS_OAEP, type Pkcs11Settings } from './settings.js';

const GCM_IV_BYTES = 12;
const GCM_TAG_BITS = 128;
/** Room for the largest output: an RSA-4096 block, or GCM's plaintext plus its tag. */
const RSA_MAX_BYTES = 512;

export class Pkcs11Seal implements Seal {
  readonly type = 'pkcs11';
  private connection: Connection | undefined;
  /** PKCS#11 allows one operation at a time per session, so calls run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly settings: Pkcs11Settings,
    private readonly logger: Logger,
  ) {}

  keyId(): Promise<string> {
    return this.run('key lookup', async (connection) => connection.encryption.label);
  }

  encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    return this.run('encrypt', async (connection) => {
      const key = connection.encryption;
      const blob = key.mechanism === CKM_AES_GCM ? await this.encryptGcm(connection, key.secret, plaintext, aad) : await this.encryptOaep(connection, key, plaintext, aad);
      if (connection.hmac !== undefined) {
        blob.hmac = await this.sign(connection, connection.hmac.handle, macInput(blob));
        blob.keyInfo.hmacMechanism = this.settings.hmacMechanism;
        blob.keyInfo.hmacKeyId = connection.hmac.label;
      }
      return blob;
    });
  }

  decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    return this.run('decrypt', async (connection) => {
      if (blob.hmac !== undefined || connection.hmac !== undefined) await this.verifyHmac(connection, blob);

      const key = this.keyFor(connection, blob);
      if (blob.keyInfo.mechanism === CKM_AES_GCM && key.mechanism === CKM_AES_GCM) {
        return this.decryptGcm(connection, key.secret, blob, aad);
      }
      if (blob.keyInfo.mechanism === CKM_RSA_PKCS_OAEP && key.mechanism === CKM_RSA_PKCS_OAEP) {
        return this.decryptOaep(connection, key.privateKey, blob, aad);
      }
      throw new Error(`blob mechanism 0x${blob.keyInfo.mechanism.toString(16)} does not match key "${key.label}"`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.dropConnection();
  }

  /**
   * Runs `operation` after the ones before it, connecting first if needed.
   * A failure closes the session so that the next call starts afresh.
   */
  private run<T>(name: string, operation: (connection: Connection) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      if (this.closed) throw new Error(`pkcs11 seal: ${name} failed: the seal is closed`);
      try {
        this.connection ??= connect(this.settings);
        return await operation(this.connection);
      } catch (err) {
        this.dropConnection();
        throw new Error(`pkcs11 seal: ${name} failed: ${describeError(err)}`, { cause: err });
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private dropConnection(): void {
    if (this.connection === undefined) return;
    disconnect(this.settings, this.connection);
    this.connection = undefined;
    this.logger.debug({ lib: this.settings.lib }, 'pkcs11 session closed');
  }

  /** Returns the current key, or the older key a blob names by its label. */
  private keyFor(connection: Connection, blob: BlobInfo): EncryptionKey {
    if (blob.keyInfo.keyId === connection.encryption.label) return connection.encryption;
    return loadEncryptionKey(connection.module, connection.session, this.settings, blob.keyInfo.keyId, false);
  }

  private async encryptGcm(connection: Connection, key: Buffer, plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const iv = randomBytes(GCM_IV_BYTES);
    connection.module.C_EncryptInit(connection.session, gcmMechanism(iv, aad), key);
    const ciphertext = await connection.module.C_EncryptAsync(connection.session, plaintext, Buffer.alloc(plaintext.length + GCM_TAG_BITS / 8));
    return { ciphertext, iv, keyInfo: { mechanism: CKM_AES_GCM, hmacMechanism: 0, keyId: connection.encryption.label, hmacKeyId: '' } };
  }

  private async decryptGcm(connection: Connection, key: Buffer, blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    connection.module.C_DecryptInit(connection.session, gcmMechanism(blob.iv, aad), key);
    return connection.module.C_DecryptAsync(connection.session, blob.ciphertext, Buffer.alloc(blob.ciphertext.length));
  }

  private async encryptOaep(
    connection: Connection,
    key: Extract<EncryptionKey, { mechanism: typeof CKM_RSA_PKCS_OAEP }>,
    plaintext: Buffer,
    aad?: Buffer,
  ): Promise<BlobInfo> {
    const envelope = envelopeEncrypt(plaintext, aad);
    try {
      connection.module.C_EncryptInit(connection.session, this.oaepMechanism(), key.publicKey);
      const wrappedKey = await connection.module.C_EncryptAsync(connection.session, envelope.key, Buffer.alloc(RSA_MAX_BYTES));
      return {
        ciphertext: envelope.ciphertext,
        iv: envelope.iv,
        keyInfo: { mechanism: CKM_RSA_PKCS_OAEP, hmacMechanism: 0, keyId: key.label, hmacKeyId: '', wrappedKey },
      };
    } finally {
      envelope.key.fill(0);
    }
  }

  private async decryptOaep(connection: Connection, privateKey: Buffer, blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    if (blob.keyInfo.wrappedKey === undefined) throw new Error('RSA-OAEP blob has no wrapped data key');
    connection.module.C_DecryptInit(connection.session, this.oaepMechanism(), privateKey);
    const dataKey = await connection.module.C_DecryptAsync(connection.session, blob.keyInfo.wrappedKey, Buffer.alloc(RSA_MAX_BYTES));
    try {
      return envelopeDecrypt(dataKey, blob.iv, blob.ciphertext, aad);
    } finally {
      dataKey.fill(0);
    }
  }

  private oaepMechanism(): pkcs11js.Mechanism {
    const parameter: pkcs11js.RsaOAEP = {
      type: pkcs11js.CK_PARAMS_RSA_OAEP,
      hashAlg: this.settings.oaep.hashAlg,
      mgf: this.settings.oaep.mgf,
      // CKZ_DATA_SPECIFIED with no data: an empty OAEP label (PKCS#11 2.40, section 2.1.8).
      source: 1,
    };
    return { mechanism: CKM_RSA_PKCS_OAEP, parameter };
  }

  private async sign(connection: Connection, key: Buffer, data: Buffer): Promise<Buffer> {
    connection.module.C_SignInit(connection.session, { mechanism: this.settings.hmacMechanism }, key);
    return connection.module.C_SignAsync(connection.session, data, Buffer.alloc(64));
  }

  /** Checks the blob's HMAC inside the HSM; a blob without one is rejected while an HMAC key is configured. */
  private async verifyHmac(connection: Connection, blob: BlobInfo): Promise<void> {
    if (connection.hmac === undefined) throw new Error('blob has an HMAC, but no "hmac_key_label" is configured');
    if (blob.hmac === undefined) throw new Error(`blob has no HMAC, but "hmac_key_label" "${connection.hmac.label}" is configured`);
    connection.module.C_VerifyInit(connection.session, { mechanism: blob.keyInfo.hmacMechanism }, connection.hmac.handle);
    // C_Verify throws CKR_SIGNATURE_INVALID when the HMAC does not match.
    await connection.module.C_VerifyAsync(connection.session, macInput(blob), blob.hmac);
  }
}

function gcmMechanism(iv: Buffer, aad?: Buffer): pkcs11js.Mechanism {
  // SoftHSM 2.6 reads ivBits as well as the IV length, so both are set.
  const parameter: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: iv.length * 8, tagBits: GCM_TAG_BITS };
  if (aad !== undefined) parameter.aad = aad;
  return { mechanism: CKM_AES_GCM, parameter };
}

/** Builds the bytes an HMAC covers: IV, ciphertext and wrapped key, each prefixed with its 32-bit length so no split is ambiguous. */
function macInput(blob: BlobInfo): Buffer {
  const parts = [blob.iv, blob.ciphertext, blob.keyInfo.wrappedKey ?? Buffer.alloc(0)];
  return Buffer.concat(parts.flatMap((part) => [uint32(part.length), part]));
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/** Names a PKCS#11 return code, or the message of any other error; neither contains key material or the PIN. */
function describeError(err: unknown): string {
  if (err instanceof pkcs11js.Pkcs11Error) return err.message;
  return err instanceof Error ? err.message : String(err);
}
