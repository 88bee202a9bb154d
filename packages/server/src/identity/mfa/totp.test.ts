import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { base32Decode, base32Encode, generateTotpKey, hotpCode, totpKeyUrl, verifyTotpCode, type TotpAlgorithm } from './totp.js';

/** The seeds of RFC 6238 appendix B: ASCII digits, 20, 32 and 64 bytes long. */
const RFC_SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

/** Test vectors of RFC 6238 appendix B: Unix time, then the 8-digit code per algorithm. */
const RFC_VECTORS: [number, Record<TotpAlgorithm, string>][] = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

describe('totp', () => {
  test('rfc 6238 vectors', () => {
    for (const [time, codes] of RFC_VECTORS) {
      for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
        assert.equal(hotpCode(RFC_SEEDS[algorithm], Math.floor(time / 30), algorithm, 8), codes[algorithm], `${algorithm} at ${time}`);
      }
    }
  });

  test('verify accepts skew steps only', () => {
    const key = RFC_SEEDS.SHA1;
    const settings = { algorithm: 'SHA1' as const, digits: 8, period: 30, skew: 1 };
    const nowMs = 1111111109 * 1000;
    const step = Math.floor(1111111109 / 30);
    assert.equal(verifyTotpCode(key, '07081804', settings, nowMs), true);
    assert.equal(verifyTotpCode(key, hotpCode(key, step - 1, 'SHA1', 8), settings, nowMs), true);
    assert.equal(verifyTotpCode(key, hotpCode(key, step + 1, 'SHA1', 8), settings, nowMs), true);
    assert.equal(verifyTotpCode(key, hotpCode(key, step + 2, 'SHA1', 8), settings, nowMs), false);
    assert.equal(verifyTotpCode(key, hotpCode(key, step + 1, 'SHA1', 8), { ...settings, skew: 0 }, nowMs), false);
    assert.equal(verifyTotpCode(key, '7081804', settings, nowMs), false);
    assert.equal(verifyTotpCode(key, '0708180x', settings, nowMs), false);
  });

  test('verify in step 0', () => {
    // A period longer than the time since 1970 puts now in step 0, where skew 1 would look at step -1.
    const key = RFC_SEEDS.SHA1;
    const settings = { algorithm: 'SHA1' as const, digits: 8, period: 4_000_000_000, skew: 1 };
    const nowMs = 1_700_000_000_000;
    assert.equal(verifyTotpCode(key, hotpCode(key, 0, 'SHA1', 8), settings, nowMs), true);
    assert.equal(verifyTotpCode(key, hotpCode(key, 1, 'SHA1', 8), settings, nowMs), true);
    assert.equal(verifyTotpCode(key, hotpCode(key, 2, 'SHA1', 8), settings, nowMs), false);
  });

  test('base32 round trip and oathtool', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.deepEqual(base32Decode('MZXW6YTBOI'), Buffer.from('foobar'));
    const key = generateTotpKey(20);
    assert.match(key, /^[A-Z2-7]{32}$/);
    assert.equal(base32Decode(key).length, 20);
    // oathtool decodes the key itself, so this checks encoding and algorithm together.
    const expected = execFileSync('oathtool', ['--totp', '-b', '--now=@1700000000', key], { encoding: 'utf8' }).trim();
    assert.equal(hotpCode(base32Decode(key), Math.floor(1700000000 / 30), 'SHA1', 6), expected);
  });

  test('key url escapes the label', () => {
    const url = totpKeyUrl('Acme Corp', 'alice@example', 'MZXW6YTBOI', { algorithm: 'SHA256', digits: 8, period: 60, skew: 1 });
    assert.equal(url, 'otpauth://totp/Acme%20Corp:alice%40example?algorithm=SHA256&digits=8&issuer=Acme+Corp&period=60&secret=MZXW6YTBOI');
  });
});
