import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { AzureKeyVaultSeal } from './azurekeyvault-seal.js';
import { parseAzureKeyVaultSettings } from './settings.js';
import { startKeyVaultDouble, type KeyVaultDouble } from './testing/index.js';

const silentLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
} as unknown as Logger;

describe('azurekeyvault seal against the Key Vault double', () => {
  let vault: KeyVaultDouble;
  let seal: AzureKeyVaultSeal;

  const open = (keyName: string, secret = vault.clientSecret): AzureKeyVaultSeal =>
    new AzureKeyVaultSeal(
      parseAzureKeyVaultSettings(
        { vault_url: vault.url, key_name: keyName, tenant_id: vault.tenantId, client_id: vault.clientId, client_secret: secret, tls_ca_cert: vault.caFile },
        { AZURE_AUTHORITY_HOST: vault.url },
      ),
      silentLogger,
    );

  before(async () => {
    vault = await startKeyVaultDouble();
    seal = open(vault.keyName);
  });
  after(async () => {
    await seal.close();
    await vault.close();
  });

  test('encrypt then decrypt', async () => {
    const plaintext = Buffer.from('root key material');
    const blob = await seal.encrypt(plaintext, Buffer.from('core/wrapped-root-key'));
    assert.match(blob.keyInfo.keyId, /^[0-9a-f]{32}$/);
    assert.equal(blob.keyInfo.wrappedKey?.length, 256);
    assert.deepEqual(await seal.decrypt(blob, Buffer.from('core/wrapped-root-key')), plaintext);
    // The double rejects the first Key Vault request with the bearer challenge, so the seal fetches a token.
    assert.ok(vault.requests.includes(`POST /${vault.tenantId}/oauth2/v2.0/token`), vault.requests.join('\n'));
    assert.ok(vault.requests.some((line) => line.endsWith('/wrapkey')));
    assert.ok(vault.requests.some((line) => line.endsWith('/unwrapkey')));
  });

  test('rotated key still decrypts old blobs', async () => {
    const blob = await seal.encrypt(Buffer.from('before rotation'));
    const newVersion = vault.rotateKey(vault.keyName);
    assert.equal(await seal.keyId(), newVersion);
    assert.deepEqual(await seal.decrypt(blob), Buffer.from('before rotation'));
    const after = await seal.encrypt(Buffer.from('after rotation'));
    assert.equal(after.keyInfo.keyId, newVersion);
  });

  test('tampered data key is rejected', async () => {
    const blob = await seal.encrypt(Buffer.from('value'));
    const wrappedKey = Buffer.from(blob.keyInfo.wrappedKey!);
    wrappedKey[10] ^= 1;
    await assert.rejects(seal.decrypt({ ...blob, keyInfo: { ...blob.keyInfo, wrappedKey } }), {
      message: 'azurekeyvault seal: unwrap key failed: Key Vault rejected the wrapped key as invalid or made by another key (BadParameter)',
    });
  });

  test('wrong associated data is rejected', async () => {
    const blob = await seal.encrypt(Buffer.from('value'), Buffer.from('a'));
    await assert.rejects(seal.decrypt(blob, Buffer.from('b')), {
      message: 'azurekeyvault seal: decrypt failed: the ciphertext or its associated data was modified',
    });
  });

  test('unknown key is rejected', async () => {
    const unknown = open('missing-key');
    await assert.rejects(unknown.encrypt(Buffer.from('value')), {
      message: 'azurekeyvault seal: get key failed: the key "missing-key" or its version was not found (KeyNotFound)',
    });
  });

  test('wrong client secret is rejected', async () => {
    const wrong = open(vault.keyName, 'not-the-secret');
    await assert.rejects(wrong.keyId(), /^Error: azurekeyvault seal: get key failed: .*AADSTS7000215: Invalid client secret provided/s);
  });
});
