import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTransitSettings } from './settings.js';

const base = { address: 'http://127.0.0.1:8200/', token: 'hvs.token', key_name: 'autounseal', mount_path: '/transit/' };

describe('transit settings', () => {
  test('trims address and mount path', () => {
    const parsed = parseTransitSettings(base, {});
    assert.equal(parsed.address, 'http://127.0.0.1:8200');
    assert.equal(parsed.mountPath, 'transit');
    assert.equal(parsed.keyName, 'autounseal');
    assert.equal(parsed.tls.skipVerify, false);
    assert.equal(parsed.namespace, undefined);
  });

  test('environment wins over stanza', () => {
    const parsed = parseTransitSettings(base, { VAULT_TOKEN: 'hvs.from-env', VAULT_TRANSIT_SEAL_KEY_NAME: 'other', VAULT_SKIP_VERIFY: 'true' });
    assert.equal(parsed.token, 'hvs.from-env');
    assert.equal(parsed.keyName, 'other');
    assert.equal(parsed.tls.skipVerify, true);
  });

  const rejected: Array<[string, Record<string, string>, string]> = [
    ['missing token', { ...base, token: '' }, 'seal "transit": missing required setting "token": a token allowed to encrypt and decrypt with the key, or set VAULT_TOKEN'],
    ['missing key', { ...base, key_name: '' }, 'seal "transit": missing required setting "key_name": the name of the transit key, or set VAULT_TRANSIT_SEAL_KEY_NAME'],
    ['bad address', { ...base, address: 'not a url' }, 'seal "transit": invalid "address" "not a url": use a URL such as https://127.0.0.1:8200'],
    ['other scheme', { ...base, address: 'ftp://host' }, 'seal "transit": invalid "address" "ftp://host": the scheme must be http or https'],
    ['bad skip verify', { ...base, tls_skip_verify: 'maybe' }, 'seal "transit": invalid "tls_skip_verify" "maybe": use true or false'],
    ['cert without key', { ...base, tls_client_cert: '/dev/null' }, 'seal "transit": "tls_client_cert" and "tls_client_key" must be set together'],
    ['unreadable ca', { ...base, tls_ca_cert: '/nonexistent/ca.pem' }, 'seal "transit": invalid "tls_ca_cert": cannot read "/nonexistent/ca.pem": ENOENT'],
  ];
  for (const [name, settings, message] of rejected) {
    test(`rejects ${name}`, () => {
      assert.throws(() => parseTransitSettings(settings, {}), { name: 'TransitSettingsError', message });
    });
  }
});
