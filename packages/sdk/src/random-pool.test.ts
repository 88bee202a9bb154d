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
