import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, b64, createHarness, dataOf } from './test-support.js';

describe('hash', () => {
  test('known answers', async () => {
    const harness = createHarness();
    const input = b64('abc');
    // FIPS 180-2 and FIPS 202 example digests of "abc".
    const cases: Array<[string, string]> = [
      ['sha2-224', '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'],
      ['sha2-256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      ['sha2-384', 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'],
      [
        'sha2-512',
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      ],
      ['sha3-256', '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532'],
    ];

    for (const [algorithm, expected] of cases) {
      assert.deepEqual(dataOf(await harness.send('update', `hash/${algorithm}`, { input })), { sum: expected }, algorithm);
    }
  });

  test('defaults and body algorithm', async () => {
    const harness = createHarness();
    const sha256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

    assert.equal(dataOf(await harness.send('update', 'hash', { input: b64('abc') })).sum, sha256);
    assert.equal(
      dataOf(await harness.send('update', 'hash', { input: b64('abc'), algorithm: 'sha2-256', format: 'base64' })).sum,
      Buffer.from(sha256, 'hex').toString('base64'),
    );
  });

  test('invalid requests', async () => {
    const harness = createHarness();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['hash', {}, 'missing field "input": give the base64-encoded data to hash'],
      ['hash', { input: 'a' }, 'invalid field "input": base64 length 1 is not a multiple of 4'],
      ['hash', { input: b64('x'), format: 'binary' }, 'invalid field "format": unsupported encoding format "binary": use hex or base64'],
      [
        'hash/md5',
        { input: b64('x') },
        'invalid field "urlalgorithm": unsupported algorithm "md5": use one of sha2-224, sha2-256, sha2-384, sha2-512, sha3-224, sha3-256, sha3-384, sha3-512',
      ],
      ['hash', { input: b64('x'), salt: 'x' }, 'unknown field "salt"'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });
});
