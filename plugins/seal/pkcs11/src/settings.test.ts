import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CKM_AES_GCM, CKM_RSA_PKCS_OAEP, parsePkcs11Settings } from './settings.js';

const base = { lib: '/usr/lib/softhsm/libsofthsm2.so', token_label: 't', pin: '1234', key_label: 'k' };

describe('pkcs11 settings', () => {
  test('defaults', () => {
    const parsed = parsePkcs11Settings(base, {});
    assert.equal(parsed.tokenLabel, 't');
    assert.equal(parsed.slot, undefined);
    assert.equal(parsed.mechanism, undefined);
    assert.equal(parsed.hmacMechanism, 0x0251);
    assert.equal(parsed.generateKey, false);
    assert.equal(parsed.rsaOaepHash, 'sha256');
    assert.equal(parsed.hmacKeyLabel, undefined);
  });

  test('mechanism and slot in hex and decimal', () => {
    const parsed = parsePkcs11Settings({ ...base, token_label: '', slot: '0x1f', mechanism: '0x1087', generate_key: 'true' }, {});
    assert.equal(parsed.slot, 31n);
    assert.equal(parsed.mechanism, CKM_AES_GCM);
    assert.equal(parsed.generateKey, true);
    assert.equal(parsePkcs11Settings({ ...base, mechanism: '9' }, {}).mechanism, CKM_RSA_PKCS_OAEP);
  });

  test('environment overrides stanza', () => {
    const parsed = parsePkcs11Settings({ ...base, pin: '' }, { VAULT_HSM_PIN: 'from-vault-env', COFFER_HSM_KEY_LABEL: 'env-key' });
    assert.equal(parsed.pin, 'from-vault-env');
    assert.equal(parsed.keyLabel, 'env-key');
  });

  const rejected: Array<[string, Record<string, string>, string]> = [
    ['missing lib', { ...base, lib: '' }, 'seal "pkcs11": missing required setting "lib": the path of the PKCS#11 library, or set VAULT_HSM_LIB'],
    ['missing pin', { ...base, pin: '' }, 'seal "pkcs11": missing required setting "pin": the PIN of the HSM user, or set VAULT_HSM_PIN'],
    ['missing token', { ...base, token_label: '' }, 'seal "pkcs11": missing "slot" or "token_label": set one to choose the HSM token'],
    ['slot and label', { ...base, slot: '1' }, 'seal "pkcs11": "slot" and "token_label" are both set: keep only one'],
    ['bad slot', { ...base, token_label: '', slot: 'one' }, 'seal "pkcs11": invalid "slot" "one": use a decimal number or hexadecimal with a 0x prefix'],
    [
      'other mechanism',
      { ...base, mechanism: '0x1085' },
      'seal "pkcs11": invalid "mechanism" "0x1085": use 0x1087 (CKM_AES_GCM) or 0x0009 (CKM_RSA_PKCS_OAEP)',
    ],
    [
      'other hmac mechanism',
      { ...base, hmac_mechanism: '0x0271' },
      'seal "pkcs11": invalid "hmac_mechanism" "0x0271": only 0x0251 (CKM_SHA256_HMAC) is supported',
    ],
    ['bad oaep hash', { ...base, rsa_oaep_hash: 'md5' }, 'seal "pkcs11": invalid "rsa_oaep_hash" "md5": use sha1, sha224, sha256, sha384 or sha512'],
    ['oaep hash named like an object member', { ...base, rsa_oaep_hash: 'constructor' }, 'seal "pkcs11": invalid "rsa_oaep_hash" "constructor": use sha1, sha224, sha256, sha384 or sha512'],
    ['bad generate_key', { ...base, generate_key: 'yes' }, 'seal "pkcs11": invalid "generate_key" "yes": use true or false'],
  ];
  for (const [name, settings, message] of rejected) {
    test(`rejects ${name}`, () => {
      assert.throws(() => parsePkcs11Settings(settings, {}), { name: 'Pkcs11SettingsError', message });
    });
  }
});
