import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsedCodes } from './used-codes.js';

describe('UsedCodes', () => {
  test('claims a code once until it expires', () => {
    const used = new UsedCodes();
    assert.equal(used.claim('k', '123456', 1_000, 90_000), true);
    assert.equal(used.claim('k', '123456', 90_999, 90_000), false);
    assert.equal(used.claim('k', '123456', 91_000, 90_000), true);
  });

  test('keeps keys and codes apart', () => {
    const used = new UsedCodes();
    assert.equal(used.claim('k', '123456', 0, 90_000), true);
    assert.equal(used.claim('other', '123456', 0, 90_000), true);
    assert.equal(used.claim('k', '654321', 0, 90_000), true);
    assert.equal(used.size, 3);
  });

  test('prune drops only expired records', () => {
    const used = new UsedCodes();
    used.claim('k', '111111', 0, 30_000);
    used.claim('k', '222222', 0, 90_000);
    used.claim('j', '333333', 0, 30_000);
    used.prune(30_000);
    assert.equal(used.size, 1);
    assert.equal(used.claim('k', '222222', 30_000, 90_000), false);
    assert.equal(used.claim('k', '111111', 30_000, 90_000), true);
  });
});
