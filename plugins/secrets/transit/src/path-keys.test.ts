import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf, MOUNT_PREFIX } from './test-support.js';

const CREATED_AT_SECONDS = Math.floor(Date.UTC(2024, 0, 2, 3, 4, 5, 120) / 1000);

describe('keys', () => {
  test('create returns the default key', async () => {
    const harness = createHarness();

    const key = await createKey(harness, 'app');

    assert.deepEqual(key, {
      name: 'app',
      type: 'aes256-gcm96',
      derived: false,
      deletion_allowed: false,
      min_available_version: 0,
      min_decryption_version: 1,
      min_encryption_version: 0,
      latest_version: 1,
      exportable: false,
      allow_plaintext_backup: false,
      supports_encryption: true,
      supports_decryption: true,
      supports_signing: false,
      supports_derivation: true,
      auto_rotate_period: 0,
      imported_key: false,
      keys: { '1': CREATED_AT_SECONDS },
    });
    assert.deepEqual(dataOf(await harness.send('read', 'keys/app')), key);
  });

  test('capabilities per type', async () => {
    const harness = createHarness();
    const expected: Array<[string, boolean, boolean, boolean]> = [
      // type, encryption, signing, derivation
      ['aes128-gcm96', true, false, true],
      ['chacha20-poly1305', true, false, true],
      ['ed25519', false, true, true],
      ['ecdsa-p384', false, true, false],
      ['rsa-2048', true, true, false],
      ['hmac', false, false, false],
    ];

    for (const [type, encryption, signing, derivation] of expected) {
      const key = await createKey(harness, `k-${type}`, { type });
      assert.equal(key.type, type);
      assert.equal(key.supports_encryption, encryption, type);
      assert.equal(key.supports_decryption, encryption, type);
      assert.equal(key.supports_signing, signing, type);
      assert.equal(key.supports_derivation, derivation, type);
    }
  });

  test('asymmetric keys list public keys', async () => {
    const harness = createHarness();

    const ecdsa = await createKey(harness, 'ec', { type: 'ecdsa-p521' });
    const ed25519 = await createKey(harness, 'ed', { type: 'ed25519' });
    const rsa = await createKey(harness, 'rsa', { type: 'rsa-3072' });

    const ecVersion = (ecdsa.keys as Record<string, Record<string, unknown>>)['1'];
    assert.equal(ecVersion.name, 'P-521');
    assert.equal(ecVersion.certificate_chain, '');
    assert.equal(ecVersion.creation_time, '2024-01-02T03:04:05.12Z');
    assert.match(String(ecVersion.public_key), /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    assert.equal(createPublicKey(String(ecVersion.public_key)).asymmetricKeyDetails?.namedCurve, 'secp521r1');

    const edVersion = (ed25519.keys as Record<string, Record<string, unknown>>)['1'];
    assert.equal(edVersion.name, 'ed25519');
    assert.equal(Buffer.from(String(edVersion.public_key), 'base64').length, 32);

    const rsaVersion = (rsa.keys as Record<string, Record<string, unknown>>)['1'];
    assert.equal(rsaVersion.name, 'rsa-3072');
    assert.equal(createPublicKey(String(rsaVersion.public_key)).asymmetricKeyDetails?.modulusLength, 3072);
  });

  test('hmac key size', async () => {
    const harness = createHarness();

    assert.equal((await createKey(harness, 'mac', { type: 'hmac', key_size: 64 })).key_size, 64);
    assert.equal((await createKey(harness, 'mac-default', { type: 'hmac' })).key_size, 32);
    assert.equal((await createKey(harness, 'aes')).key_size, undefined);
  });

  test('derived and convergent settings', async () => {
    const harness = createHarness();

    const key = await createKey(harness, 'conv', { derived: true, convergent_encryption: true, exportable: true, auto_rotate_period: '24h' });

    assert.equal(key.derived, true);
    assert.equal(key.kdf, 'hkdf_sha256');
    assert.equal(key.convergent_encryption, true);
    assert.equal(key.convergent_encryption_version, -1);
    assert.equal(key.exportable, true);
    assert.equal(key.auto_rotate_period, 86_400);
  });

  test('create of an existing key warns and changes nothing', async () => {
    const harness = createHarness();
    const first = await createKey(harness, 'app');
    const before = await harness.snapshot();

    const response = await harness.send('update', 'keys/app', { type: 'ed25519' });

    assert.deepEqual(response?.data, first);
    assert.deepEqual(response?.warnings, ['key app already existed']);
    assert.deepEqual(await harness.snapshot(), before);
  });

  test('read of a missing key is null', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'keys/missing'), null);
  });

  test('derived ed25519 read with context', async () => {
    const harness = createHarness();
    await createKey(harness, 'ed', { type: 'ed25519', derived: true });

    const withoutContext = dataOf(await harness.send('read', 'keys/ed'));
    const withContext = dataOf(await harness.send('read', 'keys/ed', { context: b64('tenant-1') }));
    const signed = dataOf(await harness.send('update', 'sign/ed', { input: b64('m'), context: b64('tenant-1') }));

    assert.equal((withoutContext.keys as Record<string, Record<string, unknown>>)['1'].public_key, '');
    assert.equal((withContext.keys as Record<string, Record<string, unknown>>)['1'].public_key, signed.public_key);
  });

  test('list keys', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'keys/'), null);
    await createKey(harness, 'b');
    await createKey(harness, 'a', { type: 'ed25519' });

    assert.deepEqual(dataOf(await harness.send('list', 'keys/')), { keys: ['a', 'b'] });
  });

  test('delete needs deletion_allowed', async () => {
    const harness = createHarness();
    await createKey(harness, 'app');

    await assertRejectedUnchanged(harness, () => harness.send('delete', 'keys/app'), 'error deleting policy app: deletion is not allowed for this key');

    await harness.send('update', 'keys/app/config', { deletion_allowed: true });
    assert.equal(await harness.send('delete', 'keys/app'), null);
    assert.equal(await harness.send('read', 'keys/app'), null);
    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}policy/app`), null);
  });

  test('delete of a missing key', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('delete', 'keys/nope'), 400, 'error deleting policy nope: could not delete key; not found');
  });

  test('stored entry layout', async () => {
    const harness = createHarness();
    await createKey(harness, 'app');

    const entry = await harness.storage.get(`${MOUNT_PREFIX}policy/app`);
    const stored = JSON.parse(String(entry?.value)) as Record<string, unknown>;

    assert.equal(stored.format, 1);
    assert.equal(stored.name, 'app');
    assert.deepEqual(Object.keys((stored.versions as Record<string, unknown>)['1'] as object).sort(), ['created_at', 'hmac_key', 'key']);
  });

  test('invalid settings are rejected', async () => {
    const harness = createHarness();
    await createKey(harness, 'existing');
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { type: 'aes512' },
        'invalid field "type": unknown key type "aes512": use one of aes128-gcm96, aes256-gcm96, chacha20-poly1305, ed25519, ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, rsa-4096, hmac',
      ],
      [{ auto_rotate_period: '30m' }, 'invalid field "auto_rotate_period": 1800s is shorter than an hour: use 0 to turn rotation off or at least 1h'],
      [
        { auto_rotate_period: 1e20 },
        'invalid field "auto_rotate_period": 100000000000000000000s is longer than the maximum of 9223372036s (about 292 years)',
      ],
      [{ auto_rotate_period: 'soon' }, 'invalid field "auto_rotate_period": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      [{ key_size: 64 }, 'invalid field "key_size": 64: key_size only applies to hmac keys, not aes256-gcm96'],
      [{ type: 'hmac', key_size: 16 }, 'invalid field "key_size": 16 is outside 32 to 512 bytes'],
      [{ type: 'hmac', key_size: 513 }, 'invalid field "key_size": 513 is outside 32 to 512 bytes'],
      [{ convergent_encryption: true }, 'invalid field "convergent_encryption": convergent encryption requires derived to be true'],
      [{ type: 'ecdsa-p256', derived: true }, 'invalid field "derived": key derivation is not supported for keys of type ecdsa-p256'],
      [{ type: 'rsa-2048', derived: true }, 'invalid field "derived": key derivation is not supported for keys of type rsa-2048'],
      [{ type: 'hmac', derived: true }, 'invalid field "derived": key derivation is not supported for keys of type hmac'],
      [
        { type: 'ed25519', derived: true, convergent_encryption: true },
        'invalid field "convergent_encryption": convergent encryption is not supported for keys of type ed25519',
      ],
      [{ derived: 'maybe' }, 'invalid field "derived": expected a boolean, got "maybe"'],
      [{ colour: 'red' }, 'unknown field "colour"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/new', body), message);
    }
  });

  test('longest auto_rotate_period survives restart', async () => {
    const harness = createHarness();
    await createKey(harness, 'slow', { auto_rotate_period: '9223372036s' });

    const restarted = createHarness({ storage: harness.storage });

    assert.equal(dataOf(await restarted.send('read', 'keys/slow')).auto_rotate_period, 9223372036);
  });

  test('read with invalid context', async () => {
    const harness = createHarness();
    await createKey(harness, 'ed', { type: 'ed25519', derived: true });

    await assertRejects(harness.send('read', 'keys/ed', { context: 'not base64!' }), 400, 'invalid field "context": illegal base64 character at offset 3');
  });
});
