/**
 * The AWS KMS seal. As Vault's does, it uses envelope encryption: each value
 * is encrypted locally with a fresh AES-256-GCM data key, and KMS encrypts
 * only that data key. The associated data is bound by the local cipher.
 *
 * Errors name the operation and the KMS error type, never credentials.
 */
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  InvalidCiphertextException,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { envelopeDecrypt, envelopeEncrypt, type BlobInfo, type Logger, type Seal } from '@coffer/sdk';
import type { AwsKmsSettings } from './settings.js';

/** `SealKeyInfo.mechanism` of a blob made by this seal: AES-GCM data key wrapped by KMS. */
export const AWSKMS_ENVELOPE_AES_GCM = 1;

/** How long one KMS request may take, in milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;

export class AwsKmsSeal implements Seal {
  readonly type = 'awskms';
  private readonly client: KMSClient;

  constructor(
    private readonly settings: AwsKmsSettings,
    private readonly logger: Logger,
  ) {
    this.client = new KMSClient({
      region: settings.region,
      // The server retries a failed unseal with its own backoff.
      maxAttempts: 2,
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: REQUEST_TIMEOUT_MS },
      ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials !== undefined ? { credentials: settings.credentials } : {}),
      ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
    });
  }

  async keyId(): Promise<string> {
    const output = await this.send('describe key', () => this.client.send(new DescribeKeyCommand({ KeyId: this.settings.kmsKeyId })));
    const arn = output.KeyMetadata?.Arn ?? output.KeyMetadata?.KeyId;
    if (arn === undefined) throw new Error('awskms seal: describe key failed: the response has no "KeyMetadata.Arn"');
    return arn;
  }

  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const envelope = envelopeEncrypt(plaintext, aad);
    try {
      const output = await this.send('encrypt', () =>
        this.client.send(new EncryptCommand({ KeyId: this.settings.kmsKeyId, Plaintext: envelope.key })),
      );
      if (output.CiphertextBlob === undefined) throw new Error('awskms seal: encrypt failed: the response has no "CiphertextBlob"');
      return {
        ciphertext: envelope.ciphertext,
        iv: envelope.iv,
        keyInfo: {
          mechanism: AWSKMS_ENVELOPE_AES_GCM,
          hmacMechanism: 0,
          // KMS returns the key's ARN, which names the key even when the setting is an alias.
          keyId: output.KeyId ?? this.settings.kmsKeyId,
          hmacKeyId: '',
          wrappedKey: Buffer.from(output.CiphertextBlob),
        },
      };
    } finally {
      envelope.key.fill(0);
    }
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    const wrappedKey = blob.keyInfo.wrappedKey;
    if (blob.keyInfo.mechanism !== AWSKMS_ENVELOPE_AES_GCM || wrappedKey === undefined) {
      throw new Error(`awskms seal: decrypt failed: the blob was not made by this seal (mechanism ${blob.keyInfo.mechanism})`);
    }
    const command = new DecryptCommand({
      CiphertextBlob: wrappedKey,
      ...(blob.keyInfo.keyId !== '' ? { KeyId: blob.keyInfo.keyId } : {}),
    });
    const output = await this.send('decrypt', () => this.client.send(command));
    if (output.Plaintext === undefined) throw new Error('awskms seal: decrypt failed: the response has no "Plaintext"');
    const dataKey = Buffer.from(output.Plaintext);
    try {
      return envelopeDecrypt(dataKey, blob.iv, blob.ciphertext, aad);
    } catch {
      throw new Error('awskms seal: decrypt failed: the ciphertext or its associated data was modified');
    } finally {
      dataKey.fill(0);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * Sends one KMS request.
   * @throws Error naming the operation and the KMS error; the SDK's message
   *   can quote the key ID but never the credentials.
   */
  private async send<Output>(operation: string, request: () => Promise<Output>): Promise<Output> {
    try {
      return await request();
    } catch (err) {
      const name = (err as Error).name;
      let reason = `${name}: ${(err as Error).message}`;
      if (err instanceof NotFoundException) reason = `the KMS key was not found (${name})`;
      else if (err instanceof InvalidCiphertextException) reason = `KMS rejected the ciphertext as invalid or made by another key (${name})`;
      this.logger.debug({ operation, errorType: name }, 'awskms request failed');
      throw new Error(`awskms seal: ${operation} failed: ${reason}`, { cause: err });
    }
  }
}
