import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejects, b64, createHarness, createKey, dataOf } from './test-support.js';

describe('rotate', () => {
  test('adds a version for each type', async () => {
    const harness = createHarness();

    for (const type of ['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305', 'ed25519', 'ecdsa-p256', 'rsa-2048', 'hmac']) {
      await createKey(harness, type, { type });
      harness.clock.advance(10);

      const key = dataOf(await harness.send('update', `keys/${type}/rotate`));

      assert.equal(key.latest_version, 2, type);
      assert.deepEqual(Object.keys(key.keys as object), ['1', '2'], type);
    }
  });

  test('versions get new material', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes', { exportable: true });
    await harness.send('update', 'keys/aes/rotate');

    const keys = dataOf(await harness.send('read', 'export/encryption-key/aes')).keys as Record<string, string>;
    const hmacKeys = dataOf(await harness.send('read', 'export/hmac-key/aes')).keys as Record<string, string>;

    assert.notEqual(keys['1'], keys['2']);
    assert.notEqual(hmacKeys['1'], hmacKeys['2']);
  });

  test('creation times are per version', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    harness.clock.advance(3600);

    const key = dataOf(await harness.send('update', 'keys/aes/rotate'));
    const times = key.keys as Record<string, number>;

    assert.equal(times['2'] - times['1'], 3600);
  });

  test('signatures of old versions verify until retired', async () => {
    const harness = createHarness();
    await createKey(harness, 'ec', { type: 'ecdsa-p256' });
    const old = dataOf(await harness.send('update', 'sign/ec', { input: b64('doc') }));
    await harness.send('update', 'keys/ec/rotate');

    const fresh = dataOf(await harness.send('update', 'sign/ec', { input: b64('doc') }));
    assert.match(String(fresh.signature), /^vault:v2:/);
    assert.equal(dataOf(await harness.send('update', 'verify/ec', { input: b64('doc'), signature: old.signature })).valid, true);

    await harness.send('update', 'keys/ec/config', { min_decryption_version: 2 });
    await assertRejects(
      harness.send('update', 'verify/ec', { input: b64('doc'), signature: old.signature }),
      400,
      'ciphertext or signature version is disallowed by policy (too old)',
    );
  });

  test('missing key', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('update', 'keys/none/rotate'), 400, 'key "none" not found');
  });
});
