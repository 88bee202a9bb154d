/**
 * The Google Cloud KMS seal. As Vault's does, it uses envelope encryption:
 * each value is encrypted locally with a fresh AES-256-GCM data key, and
 * Cloud KMS encrypts only that data key, over the KeyManagementService
 * gRPC API. The associated data is bound by the local cipher.
 *
 * NOTE: the optional CRC32C integrity fields of the KMS API are not sent.
 */
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { envelopeDecrypt, envelopeEncrypt, type BlobInfo, type Logger, type Seal } from '@coffer/sdk';
import type { GcpCkmsSettings } from './settings.js';

/** `SealKeyInfo.mechanism` of a blob made by this seal: AES-GCM data key wrapped by Cloud KMS. */
export const GCPCKMS_ENVELOPE_AES_GCM = 1;

/** How long one KMS call may take, in milliseconds. */
const CALL_TIMEOUT_MS = 10_000;

/** gRPC status codes that get a plainer message. */
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;

export class GcpCkmsSeal implements Seal {
  readonly type = 'gcpckms';
  private readonly client: KeyManagementServiceClient;

  constructor(
    private readonly settings: GcpCkmsSettings,
    private readonly logger: Logger,
  ) {
    const endpoint = settings.endpoint;
    this.client = new KeyManagementServiceClient({
      ...(endpoint !== undefined ? { apiEndpoint: endpoint.host, port: endpoint.port } : {}),
      // A plaintext endpoint gets no credentials, and the fixed universe domain
      // keeps the auth library from asking the GCE metadata server for one.
      ...(endpoint?.plaintext === true ? { sslCreds: grpcCredentials.createInsecure(), universeDomain: 'googleapis.com' } : {}),
      ...(settings.credentialsFile !== undefined ? { keyFilename: settings.credentialsFile } : {}),
    });
  }

  async keyId(): Promise<string> {
    const [key] = await this.call('get crypto key', () => this.client.getCryptoKey({ name: this.settings.keyName }, { timeout: CALL_TIMEOUT_MS }));
    return key.primary?.name ?? key.name ?? this.settings.keyName;
  }

  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const envelope = envelopeEncrypt(plaintext, aad);
    try {
      const [response] = await this.call('encrypt', () =>
        this.client.encrypt({ name: this.settings.keyName, plaintext: envelope.key }, { timeout: CALL_TIMEOUT_MS }),
      );
      if (response.ciphertext === null || response.ciphertext === undefined) {
        throw new Error('gcpckms seal: encrypt failed: the response has no "ciphertext"');
      }
      return {
        ciphertext: envelope.ciphertext,
        iv: envelope.iv,
        keyInfo: {
          mechanism: GCPCKMS_ENVELOPE_AES_GCM,
          hmacMechanism: 0,
          // The crypto key version that encrypted, for the record; decrypt names the crypto key.
          keyId: response.name ?? this.settings.keyName,
          hmacKeyId: '',
          wrappedKey: Buffer.from(response.ciphertext as Uint8Array),
        },
      };
    } finally {
      envelope.key.fill(0);
    }
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    const wrappedKey = blob.keyInfo.wrappedKey;
    if (blob.keyInfo.mechanism !== GCPCKMS_ENVELOPE_AES_GCM || wrappedKey === undefined) {
      throw new Error(`gcpckms seal: decrypt failed: the blob was not made by this seal (mechanism ${blob.keyInfo.mechanism})`);
    }
    const [response] = await this.call('decrypt', () =>
      this.client.decrypt({ name: this.settings.keyName, ciphertext: wrappedKey }, { timeout: CALL_TIMEOUT_MS }),
    );
    if (response.plaintext === null || response.plaintext === undefined) {
      throw new Error('gcpckms seal: decrypt failed: the response has no "plaintext"');
    }
    const dataKey = Buffer.from(response.plaintext as Uint8Array);
    try {
      return envelopeDecrypt(dataKey, blob.iv, blob.ciphertext, aad);
    } catch {
      throw new Error('gcpckms seal: decrypt failed: the ciphertext or its associated data was modified');
    } finally {
      dataKey.fill(0);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * Makes one KMS call.
   * @throws Error naming the operation and the gRPC status; the messages of
   *   Cloud KMS name keys, never credentials.
   */
  private async call<Output>(operation: string, request: () => Promise<Output>): Promise<Output> {
    try {
      return await request();
    } catch (err) {
      const code = (err as { code?: number }).code;
      const details = (err as { details?: string }).details ?? (err as Error).message;
      let reason = `gRPC status ${code ?? 'unknown'}: ${details}`;
      if (code === NOT_FOUND) reason = `the crypto key was not found: ${details}`;
      else if (code === INVALID_ARGUMENT) reason = `Cloud KMS rejected the request as invalid, e.g. a ciphertext made by another key: ${details}`;
      else if (code === PERMISSION_DENIED) reason = `permission denied: ${details}`;
      this.logger.debug({ operation, code }, 'gcpckms call failed');
      throw new Error(`gcpckms seal: ${operation} failed: ${reason}`, { cause: err });
    }
  }
}
