/**
 * The Azure Key Vault seal. As Vault's does, it uses envelope encryption:
 * each value is encrypted locally with a fresh AES-256-GCM data key, and a
 * Key Vault RSA key wraps only that data key with RSA-OAEP-256 through the
 * `wrapkey` and `unwrapkey` operations. The key version that wrapped is
 * stored as the blob's key ID, so decryption still works after the key is
 * rotated in Key Vault.
 *
 * Errors name the operation and Key Vault's error code, never credentials.
 */
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { CryptographyClient, KeyClient, type CryptographyClientOptions } from '@azure/keyvault-keys';
import { envelopeDecrypt, envelopeEncrypt, type BlobInfo, type Logger, type Seal } from '@coffer/sdk';
import type { AzureKeyVaultSettings } from './settings.js';

/** `SealKeyInfo.mechanism` of a blob made by this seal: AES-GCM data key wrapped with RSA-OAEP-256. */
export const AZUREKEYVAULT_ENVELOPE_RSA_OAEP_256 = 1;

const WRAP_ALGORITHM = 'RSA-OAEP-256';

export class AzureKeyVaultSeal implements Seal {
  readonly type = 'azurekeyvault';
  private readonly credential: TokenCredential;
  private readonly clientOptions: CryptographyClientOptions;
  private readonly keys: KeyClient;
  private readonly byVersion = new Map<string, CryptographyClient>();

  constructor(
    private readonly settings: AzureKeyVaultSettings,
    private readonly logger: Logger,
  ) {
    const tlsOptions = settings.ca !== undefined ? { tlsOptions: { ca: settings.ca } } : {};
    // Transient failures are retried by the server's own unseal backoff.
    const retryOptions = { maxRetries: 1 };
    const secret = settings.clientSecret;
    this.credential =
      secret !== undefined
        ? new ClientSecretCredential(secret.tenantId, secret.clientId, secret.secret, {
            authorityHost: settings.authorityHost,
            // Instance discovery looks the authority up in the public cloud, which has no record of a private one.
            disableInstanceDiscovery: settings.customVaultUrl,
            retryOptions,
            ...tlsOptions,
          })
        : new ManagedIdentityCredential({ ...(settings.clientId !== undefined ? { clientId: settings.clientId } : {}), retryOptions });
    this.clientOptions = {
      retryOptions,
      // A vault_url outside the cloud's Key Vault domain cannot match the challenge's resource.
      disableChallengeResourceVerification: settings.customVaultUrl,
      ...tlsOptions,
    };
    this.keys = new KeyClient(settings.vaultUrl, this.credential, this.clientOptions);
  }

  /** Returns the version of the key that `encrypt` uses now. */
  async keyId(): Promise<string> {
    const key = await this.call('get key', () => this.keys.getKey(this.settings.keyName));
    const version = key.properties.version;
    if (version === undefined) throw new Error('azurekeyvault seal: get key failed: the response has no key version');
    return version;
  }

  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const version = await this.keyId();
    const envelope = envelopeEncrypt(plaintext, aad);
    try {
      const wrapped = await this.call('wrap key', () => this.clientFor(version).wrapKey(WRAP_ALGORITHM, envelope.key));
      return {
        ciphertext: envelope.ciphertext,
        iv: envelope.iv,
        keyInfo: {
          mechanism: AZUREKEYVAULT_ENVELOPE_RSA_OAEP_256,
          hmacMechanism: 0,
          keyId: version,
          hmacKeyId: '',
          wrappedKey: Buffer.from(wrapped.result),
        },
      };
    } finally {
      envelope.key.fill(0);
    }
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    const wrappedKey = blob.keyInfo.wrappedKey;
    if (blob.keyInfo.mechanism !== AZUREKEYVAULT_ENVELOPE_RSA_OAEP_256 || wrappedKey === undefined) {
      throw new Error(`azurekeyvault seal: decrypt failed: the blob was not made by this seal (mechanism ${blob.keyInfo.mechanism})`);
    }
    const version = blob.keyInfo.keyId === '' ? await this.keyId() : blob.keyInfo.keyId;
    const unwrapped = await this.call('unwrap key', () => this.clientFor(version).unwrapKey(WRAP_ALGORITHM, wrappedKey));
    const dataKey = Buffer.from(unwrapped.result);
    try {
      return envelopeDecrypt(dataKey, blob.iv, blob.ciphertext, aad);
    } catch {
      throw new Error('azurekeyvault seal: decrypt failed: the ciphertext or its associated data was modified');
    } finally {
      dataKey.fill(0);
    }
  }

  async close(): Promise<void> {
    this.byVersion.clear();
  }

  private clientFor(version: string): CryptographyClient {
    let client = this.byVersion.get(version);
    if (client === undefined) {
      const keyUrl = `${this.settings.vaultUrl}/keys/${encodeURIComponent(this.settings.keyName)}/${encodeURIComponent(version)}`;
      client = new CryptographyClient(keyUrl, this.credential, this.clientOptions);
      this.byVersion.set(version, client);
    }
    return client;
  }

  /**
   * Makes one Key Vault request.
   * @throws Error naming the operation, the HTTP status and Key Vault's error code.
   */
  private async call<Output>(operation: string, request: () => Promise<Output>): Promise<Output> {
    try {
      return await request();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const code = (err as { code?: string }).code ?? (err as Error).name;
      let reason = `${code}${status !== undefined ? ` (HTTP ${status})` : ''}: ${(err as Error).message}`;
      if (code === 'KeyNotFound') reason = `the key "${this.settings.keyName}" or its version was not found (KeyNotFound)`;
      else if (code === 'BadParameter') reason = `Key Vault rejected the wrapped key as invalid or made by another key (BadParameter)`;
      this.logger.debug({ operation, code, status }, 'azurekeyvault request failed');
      throw new Error(`azurekeyvault seal: ${operation} failed: ${reason}`, { cause: err });
    }
  }
}
