import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBase32, encodeBase32, hotp, totp, verifyTotp, type Algorithm } from './otp.js';
import { RFC6238_SEEDS, RFC6238_VECTORS } from './test-support.js';

describe('totp', () => {
  test('matches RFC 6238 appendix B', () => {
    for (const [seconds, sha1, sha256, sha512] of RFC6238_VECTORS) {
      const expected: Record<Algorithm, string> = { SHA1: sha1, SHA256: sha256, SHA512: sha512 };
      for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
        const code = totp(RFC6238_SEEDS[algorithm], seconds * 1000, { algorithm, digits: 8, period: 30 });
        assert.equal(code, expected[algorithm], `${algorithm} at ${seconds}s`);
      }
    }
  });

  test('hotp matches RFC 4226 appendix D', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    for (const [counter, code] of expected.entries()) {
      assert.equal(hotp(RFC6238_SEEDS.SHA1, counter, 'SHA1', 6), code, `counter ${counter}`);
    }
  });
});

describe('verifyTotp', () => {
  const key = RFC6238_SEEDS.SHA1;
  const parameters = { algorithm: 'SHA1', digits: 8, period: 30 } as const;
  // 1111111109 s is 19 s into step 37037036.
  const now = 1111111109_000;

  test('accepts the current step', () => {
    assert.equal(verifyTotp(key, '07081804', now, { ...parameters, skew: 0 }), true);
  });

  test('accepts a neighbouring step only with skew 1', () => {
    const previous = totp(key, now - 30_000, parameters);
    const next = totp(key, now + 30_000, parameters);
    assert.equal(verifyTotp(key, previous, now, { ...parameters, skew: 1 }), true);
    assert.equal(verifyTotp(key, next, now, { ...parameters, skew: 1 }), true);
    assert.equal(verifyTotp(key, previous, now, { ...parameters, skew: 0 }), false);
    assert.equal(verifyTotp(key, next, now, { ...parameters, skew: 0 }), false);
  });

  test('rejects two steps away with skew 1', () => {
    const older = totp(key, now - 60_000, parameters);
    const later = totp(key, now + 60_000, parameters);
    assert.equal(verifyTotp(key, older, now, { ...parameters, skew: 1 }), false);
    assert.equal(verifyTotp(key, later, now, { ...parameters, skew: 1 }), false);
  });

  test('rejects malformed codes', () => {
    for (const code of ['0708180', '070818041', '0708180a', ' 7081804', '', '٠٧٠٨١٨٠٤']) {
      assert.equal(verifyTotp(key, code, now, { ...parameters, skew: 1 }), false, JSON.stringify(code));
    }
  });
});

describe('base32', () => {
  test('round-trips every tail length', () => {
    for (let length = 0; length <= 11; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, index) => (index * 37 + 11) & 0xff));
      const encoded = encodeBase32(bytes);
      assert.doesNotMatch(encoded, /=/);
      assert.deepEqual(decodeBase32(encoded), { bytes });
    }
  });

  test('encodes RFC 4648 test vectors', () => {
    assert.equal(encodeBase32(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(encodeBase32(Buffer.from('fooba')), 'MZXW6YTB');
    assert.equal(encodeBase32(Buffer.from('f')), 'MY');
  });

  test('decodes lowercase and padding', () => {
    assert.deepEqual(decodeBase32('mzxw6ytboi======'), { bytes: Buffer.from('foobar') });
    assert.deepEqual(decodeBase32('MY======'), { bytes: Buffer.from('f') });
  });

  test('names the offset of an illegal character', () => {
    assert.deepEqual(decodeBase32('MZXW1YTB'), { problem: 'illegal base32 data at input byte 4' });
    assert.deepEqual(decodeBase32('MZ=XW6YTB'), { problem: 'illegal base32 data at input byte 2' });
  });

  test('rejects lengths that are not whole bytes', () => {
    assert.deepEqual(decodeBase32('MZX'), { problem: 'base32 data of length 3 does not encode whole bytes' });
    assert.deepEqual(decodeBase32('M'), { problem: 'base32 data of length 1 does not encode whole bytes' });
    assert.deepEqual(decodeBase32('MZXW6Y'), { problem: 'base32 data of length 6 does not encode whole bytes' });
  });
});
