import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomNonce } from './random-pool.js';

test('nonces never repeat across refills', () => {
  const seen = new Set<string>();
  // 2,000 nonces of 12 bytes span six refills of the 4 KiB pool.
  for (let i = 0; i < 2000; i += 1) {
    const nonce = randomNonce(12);
    assert.equal(nonce.length, 12);
    seen.add(nonce.toString('hex'));
  }
  assert.equal(seen.size, 2000);
});

test('randomNonce rejects invalid sizes', () => {
  for (const size of [4097, -12, 1.5, Number.NaN]) {
    assert.throws(() => randomNonce(size), { name: 'RangeError', message: `invalid nonce size ${size}: use an integer from 0 to 4096` });
  }
});

test('randomNonce repeats nothing after rejection', () => {
  const first = randomNonce(12);
  assert.throws(() => randomNonce(-12), RangeError);
  const second = randomNonce(12);
  assert.equal(second.length, 12);
  assert.notDeepEqual(second, first);
  assert.throws(() => randomNonce(Number.NaN), RangeError);
  assert.equal(randomNonce(12).length, 12);
});
