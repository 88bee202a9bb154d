import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf } from './test-support.js';

describe('config', () => {
  test('defaults are false', async () => {
    const harness = createHarness();
    assert.deepEqual(dataOf(await harness.send('read', 'config')), { disable_binding: false, enable_identity_alias_metadata: false });
  });

  test('write changes only set fields', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('update', 'config', { disable_binding: true }), null);
    await harness.send('update', 'config', { enable_identity_alias_metadata: 'true' });

    assert.deepEqual(dataOf(await harness.send('read', 'config')), { disable_binding: true, enable_identity_alias_metadata: true });
  });

  test('rejects ill-typed value', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', { disable_binding: true });

    await assertRejectedUnchanged(harness, () => harness.send('update', 'config', { disable_binding: 'maybe' }), 400, 'invalid field "disable_binding": expected a boolean, got "maybe"');
  });

  test('rejects unknown field', async () => {
    const harness = createHarness();
    await assertRejectedUnchanged(harness, () => harness.send('update', 'config', { ocsp_cache_size: 100 }), 400, 'unknown field "ocsp_cache_size"');
  });
});
