import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { hkdfSha256 } from './derivation.js';

describe('hkdfSha256', () => {
  test('RFC 5869 test case 3', () => {
    // Zero-length salt and info (RFC 5869, appendix A.3).
    const okm = hkdfSha256(Buffer.alloc(22, 0x0b), Buffer.alloc(0), 42);

    assert.equal(okm.toString('hex'), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  test('matches Node for short info', () => {
    const key = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
    const info = Buffer.from('tenant-7');

    assert.deepEqual(hkdfSha256(key, info, 64), Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 64)));
  });

  test('accepts info beyond 1024 bytes', () => {
    const first = hkdfSha256(Buffer.alloc(32, 1), Buffer.alloc(4096, 2), 32);
    const second = hkdfSha256(Buffer.alloc(32, 1), Buffer.alloc(4096, 3), 32);

    assert.equal(first.length, 32);
    assert.notDeepEqual(first, second);
  });

  test('rejects lengths HKDF cannot produce', () => {
    assert.throws(() => hkdfSha256(Buffer.alloc(32), Buffer.alloc(0), 255 * 32 + 1), /HKDF-SHA256 cannot produce 8161 bytes/);
  });
});
