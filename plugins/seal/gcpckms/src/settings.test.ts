import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGcpCkmsSettings } from './settings.js';

describe('gcpckms settings', () => {
  test('stanza values', () => {
    const parsed = parseGcpCkmsSettings(
      { project: 'p', region: 'europe-west1', key_ring: 'r', crypto_key: 'k', credentials: '/etc/coffer/sa.json', endpoint: 'kms.internal:8443' },
      {},
    );
    assert.deepEqual(parsed, {
      keyName: 'projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k',
      credentialsFile: '/etc/coffer/sa.json',
      endpoint: { host: 'kms.internal', port: 8443, plaintext: false },
    });
  });

  test('environment wins over stanza', () => {
    const parsed = parseGcpCkmsSettings(
      { project: 'file', key_ring: 'file', crypto_key: 'file' },
      {
        GOOGLE_PROJECT: 'env-project',
        GOOGLE_REGION: 'us-east1',
        VAULT_GCPCKMS_SEAL_KEY_RING: 'env-ring',
        VAULT_GCPCKMS_SEAL_CRYPTO_KEY: 'env-key',
        GOOGLE_APPLICATION_CREDENTIALS: '/env/sa.json',
      },
    );
    assert.deepEqual(parsed, {
      keyName: 'projects/env-project/locations/us-east1/keyRings/env-ring/cryptoKeys/env-key',
      credentialsFile: '/env/sa.json',
    });
  });

  test('default region and plaintext endpoint', () => {
    const parsed = parseGcpCkmsSettings({ project: 'p', key_ring: 'r', crypto_key: 'k', endpoint: 'http://127.0.0.1:9000' }, {});
    assert.equal(parsed.keyName, 'projects/p/locations/global/keyRings/r/cryptoKeys/k');
    assert.deepEqual(parsed.endpoint, { host: '127.0.0.1', port: 9000, plaintext: true });
  });

  test('missing and invalid settings', () => {
    assert.throws(() => parseGcpCkmsSettings({ key_ring: 'r', crypto_key: 'k' }, {}), {
      name: 'GcpCkmsSettingsError',
      message: 'seal "gcpckms": missing required setting "project": set it in the stanza or set GOOGLE_PROJECT',
    });
    assert.throws(() => parseGcpCkmsSettings({ project: 'p', key_ring: 'a/b', crypto_key: 'k' }, {}), {
      message: 'seal "gcpckms": invalid "key_ring" "a/b": it must not contain "/"',
    });
    assert.throws(() => parseGcpCkmsSettings({ project: 'p', key_ring: 'r', crypto_key: 'k', endpoint: 'host:99999' }, {}), {
      message: 'seal "gcpckms": invalid "endpoint" "host:99999": the port must be 1 to 65535',
    });
  });
});
