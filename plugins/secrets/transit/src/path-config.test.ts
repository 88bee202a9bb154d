import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, createKey, dataOf } from './test-support.js';

async function keyWithVersions(count: number) {
  const harness = createHarness();
  await createKey(harness, 'aes');
  for (let i = 1; i < count; i++) await harness.send('update', 'keys/aes/rotate');
  return harness;
}

describe('keys config', () => {
  test('sets version limits and returns the key', async () => {
    const harness = await keyWithVersions(3);

    const key = dataOf(await harness.send('update', 'keys/aes/config', { min_decryption_version: 2, min_encryption_version: 3 }));

    assert.equal(key.min_decryption_version, 2);
    assert.equal(key.min_encryption_version, 3);
    assert.deepEqual(Object.keys(key.keys as object), ['2', '3']);
    assert.deepEqual(dataOf(await harness.send('read', 'keys/aes')), key);
  });

  test('min_decryption_version 0 becomes 1 with a warning', async () => {
    const harness = await keyWithVersions(2);
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2 });

    const response = await harness.send('update', 'keys/aes/config', { min_decryption_version: 0 });

    assert.equal(dataOf(response).min_decryption_version, 1);
    assert.deepEqual(response?.warnings, ['since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1']);
  });

  test('exportable and plaintext backup cannot be unset', async () => {
    const harness = await keyWithVersions(1);

    await harness.send('update', 'keys/aes/config', { exportable: true, allow_plaintext_backup: true, deletion_allowed: true });
    const key = dataOf(await harness.send('update', 'keys/aes/config', { exportable: false, allow_plaintext_backup: false, deletion_allowed: false }));

    assert.equal(key.exportable, true);
    assert.equal(key.allow_plaintext_backup, true);
    assert.equal(key.deletion_allowed, false);
  });

  test('auto_rotate_period', async () => {
    const harness = await keyWithVersions(1);

    assert.equal(dataOf(await harness.send('update', 'keys/aes/config', { auto_rotate_period: '2h' })).auto_rotate_period, 7200);
    assert.equal(dataOf(await harness.send('update', 'keys/aes/config', { auto_rotate_period: 0 })).auto_rotate_period, 0);
  });

  test('invalid values are rejected', async () => {
    const harness = await keyWithVersions(3);
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2 });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ min_decryption_version: -1 }, 'invalid field "min_decryption_version": -1 is negative'],
      [{ min_decryption_version: 4 }, 'invalid field "min_decryption_version": 4 is above the latest key version 3'],
      [{ min_encryption_version: -2 }, 'invalid field "min_encryption_version": -2 is negative'],
      [{ min_encryption_version: 7 }, 'invalid field "min_encryption_version": 7 is above the latest key version 3'],
      [
        { min_encryption_version: 1 },
        'invalid field "min_encryption_version": 1 is below min_decryption_version 2: it must be 0 or at least min_decryption_version',
      ],
      [{ auto_rotate_period: 60 }, 'invalid field "auto_rotate_period": 60s is shorter than an hour: use 0 to turn rotation off or at least 1h'],
      [
        { auto_rotate_period: 1e300 },
        'invalid field "auto_rotate_period": 1e+300s is longer than the maximum of 9223372036s (about 292 years)',
      ],
      [{ deletion_allowed: 'perhaps' }, 'invalid field "deletion_allowed": expected a boolean, got "perhaps"'],
      [{ min_decryption_version: 'one' }, 'invalid field "min_decryption_version": expected an integer, got "one"'],
      [{ latest_version: 9 }, 'unknown field "latest_version"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/aes/config', body), message);
    }
  });

  test('missing key', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('update', 'keys/none/config', { deletion_allowed: true }), 400, 'invalid field "name": no existing key named none could be found');
  });
});
