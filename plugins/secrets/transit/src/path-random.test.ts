import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf } from './test-support.js';

function randomBytesOf(data: Record<string, unknown>, encoding: 'base64' | 'hex' = 'base64'): Buffer {
  return Buffer.from(String(data.random_bytes), encoding);
}

describe('random', () => {
  test('32 base64 bytes by default', async () => {
    const harness = createHarness();

    const first = randomBytesOf(dataOf(await harness.send('update', 'random')));
    const second = randomBytesOf(dataOf(await harness.send('update', 'random')));

    assert.equal(first.length, 32);
    assert.notDeepEqual(first, second);
  });

  test('count and source in the URL or body', async () => {
    const harness = createHarness();

    assert.equal(randomBytesOf(dataOf(await harness.send('update', 'random/64'))).length, 64);
    assert.equal(randomBytesOf(dataOf(await harness.send('update', 'random', { bytes: 5, format: 'hex' })), 'hex').length, 5);
    assert.equal(randomBytesOf(dataOf(await harness.send('update', 'random/platform/16'))).length, 16);
    assert.equal(randomBytesOf(dataOf(await harness.send('update', 'random/platform', { bytes: 8 }))).length, 8);
    assert.equal(String(dataOf(await harness.send('update', 'random/4', { format: 'hex' })).random_bytes).length, 8);
  });

  test('source in the body is ignored', async () => {
    const harness = createHarness();

    // Only the URL names the source, so ACL policies on random/seal hold. Vault reads the body field too.
    const response = await harness.send('update', 'random', { source: 'seal', bytes: 8 });
    const withCount = await harness.send('update', 'random/12', { source: 'seal' });

    assert.equal(randomBytesOf(dataOf(response)).length, 8);
    assert.equal(response?.warnings, undefined);
    assert.equal(randomBytesOf(dataOf(withCount)).length, 12);
    assert.equal(withCount?.warnings, undefined);
  });

  test('seal source falls back to the platform', async () => {
    const harness = createHarness();

    const response = await harness.send('update', 'random/seal/16');

    assert.equal(randomBytesOf(dataOf(response)).length, 16);
    assert.deepEqual(response?.warnings, ['no seal/entropy augmentation available, using platform entropy source']);
  });

  test('invalid requests', async () => {
    const harness = createHarness();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['random/0', {}, 'invalid field "bytes": 0 is less than 1'],
      ['random', { bytes: 131_073 }, 'invalid field "bytes": 131073 is more than the limit of 131072'],
      ['random/many', {}, 'invalid field "bytes": "many" in the URL is not a byte count'],
      ['random/hsm/16', {}, 'invalid field "source": unsupported entropy source "hsm": use platform, seal or all'],
      ['random', { format: 'binary' }, 'invalid field "format": unsupported encoding format "binary": use hex or base64'],
      ['random', { bytes: 'ten' }, 'invalid field "bytes": expected an integer, got "ten"'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });
});
