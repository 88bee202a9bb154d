/**
 * A small seal served as an external plugin, for the plugin tests:
 * AES-256-GCM with the key in the file its `key_file` setting names, as 64
 * hexadecimal digits. The key's ID is its `key_id` setting, `test-key` by
 * default; decrypting a blob of another key ID fails.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SDK_VERSION, serve, type BlobInfo, type Seal, type SealPlugin } from '@coffer/sdk';

const TAG_BYTES = 16;

class KeyFileSeal implements Seal {
  readonly type = 'test-aes-file';

  constructor(
    private readonly key: Buffer,
    private readonly id: string,
  ) {}

  async keyId(): Promise<string> {
    return this.id;
  }

  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    if (aad !== undefined) cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext, iv, keyInfo: { mechanism: 0, hmacMechanism: 0, keyId: this.id, hmacKeyId: '' } };
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    if (blob.keyInfo.keyId !== this.id) throw new Error(`the blob was encrypted with key "${blob.keyInfo.keyId}", but this seal has key "${this.id}"`);
    if (blob.ciphertext.length < TAG_BYTES) throw new Error('invalid blob: the ciphertext is shorter than the GCM tag');
    const decipher = createDecipheriv('aes-256-gcm', this.key, blob.iv);
    if (aad !== undefined) decipher.setAAD(aad);
    decipher.setAuthTag(blob.ciphertext.subarray(blob.ciphertext.length - TAG_BYTES));
    return Buffer.concat([decipher.update(blob.ciphertext.subarray(0, blob.ciphertext.length - TAG_BYTES)), decipher.final()]);
  }

  async close(): Promise<void> {
    this.key.fill(0);
  }
}

const plugin: SealPlugin = {
  kind: 'seal',
  name: 'test-aes-file',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  settings: ['key_file', 'key_id'],
  async create(settings) {
    const path = settings.key_file;
    if (path === undefined || path === '') throw new Error('missing setting "key_file": the file with the AES-256 key as 64 hexadecimal digits');
    const text = (await readFile(path, 'utf8')).trim();
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new Error(`invalid key file "${path}": expected 64 hexadecimal digits`);
    return new KeyFileSeal(Buffer.from(text, 'hex'), settings.key_id ?? 'test-key');
  },
};

await serve(plugin);
