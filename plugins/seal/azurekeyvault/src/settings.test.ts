import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAzureKeyVaultSettings } from './settings.js';

describe('azurekeyvault settings', () => {
  test('vault name and public cloud', () => {
    const parsed = parseAzureKeyVaultSettings(
      { tenant_id: 't', client_id: 'c', client_secret: 's', vault_name: 'coffer-vault', key_name: 'seal-key' },
      {},
    );
    assert.deepEqual(parsed, {
      vaultUrl: 'https://coffer-vault.vault.azure.net',
      customVaultUrl: false,
      keyName: 'seal-key',
      authorityHost: 'https://login.microsoftonline.com',
      clientSecret: { tenantId: 't', clientId: 'c', secret: 's' },
    });
  });

  test('environment wins over stanza', () => {
    const parsed = parseAzureKeyVaultSettings(
      { vault_name: 'file-vault', key_name: 'file-key', environment: 'AzurePublicCloud' },
      {
        AZURE_TENANT_ID: 'env-tenant',
        AZURE_CLIENT_ID: 'env-client',
        AZURE_CLIENT_SECRET: 'env-secret',
        AZURE_ENVIRONMENT: 'AzureChinaCloud',
        VAULT_AZUREKEYVAULT_VAULT_NAME: 'env-vault',
        VAULT_AZUREKEYVAULT_KEY_NAME: 'env-key',
      },
    );
    assert.equal(parsed.vaultUrl, 'https://env-vault.vault.azure.cn');
    assert.equal(parsed.authorityHost, 'https://login.chinacloudapi.cn');
    assert.equal(parsed.keyName, 'env-key');
    assert.deepEqual(parsed.clientSecret, { tenantId: 'env-tenant', clientId: 'env-client', secret: 'env-secret' });
  });

  test('managed identity without a secret', () => {
    const parsed = parseAzureKeyVaultSettings({ vault_name: 'v', key_name: 'k', client_id: 'identity-client', resource: 'vault.example.test' }, {});
    assert.equal(parsed.clientSecret, undefined);
    assert.equal(parsed.clientId, 'identity-client');
    assert.equal(parsed.vaultUrl, 'https://v.vault.example.test');
  });

  test('vault url outside the resource domain', () => {
    const parsed = parseAzureKeyVaultSettings({ vault_url: 'https://10.0.0.5:8443/', key_name: 'k' }, { AZURE_AUTHORITY_HOST: 'https://login.internal/' });
    assert.equal(parsed.vaultUrl, 'https://10.0.0.5:8443');
    assert.equal(parsed.customVaultUrl, true);
    assert.equal(parsed.authorityHost, 'https://login.internal');
    const inDomain = parseAzureKeyVaultSettings({ vault_url: 'https://a.vault.azure.net', key_name: 'k' }, {});
    assert.equal(inDomain.customVaultUrl, false);
  });

  test('missing and invalid settings', () => {
    const cases: Array<[Record<string, string>, Record<string, string>, string]> = [
      [{ vault_name: 'v' }, {}, 'seal "azurekeyvault": missing required setting "key_name": set it in the stanza or set VAULT_AZUREKEYVAULT_KEY_NAME'],
      [{ key_name: 'k' }, {}, 'seal "azurekeyvault": missing required setting "vault_name": set it in the stanza or set VAULT_AZUREKEYVAULT_VAULT_NAME'],
      [{ key_name: 'k', vault_name: 'bad.name' }, {}, 'seal "azurekeyvault": invalid "vault_name" "bad.name": use letters, digits and hyphens'],
      [
        { key_name: 'k', vault_name: 'v', environment: 'Mars' },
        {},
        'seal "azurekeyvault": invalid "environment" "Mars": use AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud',
      ],
      [{ key_name: 'k', vault_url: 'http://v.vault.azure.net' }, {}, 'seal "azurekeyvault": invalid "vault_url" "http://v.vault.azure.net": the scheme must be https'],
      [
        { key_name: 'k', vault_name: 'v', client_secret: 's', client_id: 'c' },
        {},
        'seal "azurekeyvault": missing setting "tenant_id": a client secret needs both "tenant_id" and "client_id"',
      ],
      [{ key_name: 'k', vault_name: 'v' }, { AZURE_AUTHORITY_HOST: 'http://login' }, 'seal "azurekeyvault": invalid AZURE_AUTHORITY_HOST "http://login": it must be an https URL'],
    ];
    for (const [settings, env, message] of cases) {
      assert.throws(() => parseAzureKeyVaultSettings(settings, env), { name: 'AzureKeyVaultSettingsError', message });
    }
  });

  test('unreadable ca file', () => {
    assert.throws(() => parseAzureKeyVaultSettings({ key_name: 'k', vault_name: 'v', tls_ca_cert: '/nonexistent/ca.pem' }, {}), {
      message: /^seal "azurekeyvault": invalid "tls_ca_cert" "\/nonexistent\/ca.pem": ENOENT/,
    });
  });
});
