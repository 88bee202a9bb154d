import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ALGORITHMS, encodeBase32, totp } from './otp.js';
import { CODE_USED_MESSAGE } from './path-code.js';
import {
  assertRejectedUnchanged,
  assertRejects,
  createHarness,
  dataOf,
  oathtoolCode,
  RFC6238_SEEDS,
  RFC6238_VECTORS,
  type Harness,
} from './test-support.js';

const KEY = 'JBSWY3DPEHPK3PXP';
const KEY_BYTES = Buffer.from('48656c6c6f21deadbeef', 'hex');

async function codeAt(harness: Harness, name: string, nowMs: number): Promise<string> {
  harness.clock.current = nowMs;
  return String(dataOf(await harness.send('read', `code/${name}`)).code);
}

async function validate(harness: Harness, name: string, code: string): Promise<boolean> {
  return dataOf(await harness.send('update', `code/${name}`, { code })).valid as boolean;
}

describe('code/:name read', () => {
  test('matches oathtool for every algorithm, length and period', async () => {
    const harness = createHarness();
    const secret = encodeBase32(randomBytes(20));
    const times = [Date.UTC(2024, 0, 2, 3, 4, 5, 120), 1_700_000_029_999, 1_700_000_030_000, 4_102_444_800_000];
    for (const algorithm of ALGORITHMS) {
      for (const digits of [6, 8]) {
        for (const period of [30, 60, 17]) {
          const name = `${algorithm}-${digits}-${period}`;
          await harness.send('update', `keys/${name}`, { key: secret, algorithm, digits, period });
          for (const now of times) {
            const expected = await oathtoolCode(secret, now, algorithm, digits, period);
            assert.equal(await codeAt(harness, name, now), expected, `${name} at ${now}`);
          }
        }
      }
    }
  });

  test('matches RFC 6238 appendix B', async () => {
    const harness = createHarness();
    for (const algorithm of ALGORITHMS) {
      await harness.send('update', `keys/rfc-${algorithm}`, { key: encodeBase32(RFC6238_SEEDS[algorithm]), algorithm, digits: 8 });
    }
    for (const [seconds, sha1, sha256, sha512] of RFC6238_VECTORS) {
      assert.equal(await codeAt(harness, 'rfc-SHA1', seconds * 1000), sha1, `SHA1 at ${seconds}`);
      assert.equal(await codeAt(harness, 'rfc-SHA256', seconds * 1000), sha256, `SHA256 at ${seconds}`);
      assert.equal(await codeAt(harness, 'rfc-SHA512', seconds * 1000), sha512, `SHA512 at ${seconds}`);
    }
  });

  test('rejects an unknown key', async () => {
    const harness = createHarness();
    await assertRejects(harness.send('read', 'code/nope'), 400, 'unknown key: nope');
  });

  test('stops once the key is deleted', async () => {
    const harness = createHarness();
    await harness.send('update', 'keys/k', { key: KEY });
    await harness.send('delete', 'keys/k');
    await assertRejects(harness.send('read', 'code/k'), 400, 'unknown key: k');
  });
});

describe('code/:name update', () => {
  const parameters = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
  /** 10 s into a 30-second step. */
  const NOW = 1_700_000_020_000;

  async function harnessWithKey(settings: Record<string, unknown> = {}): Promise<Harness> {
    const harness = createHarness();
    harness.clock.current = NOW;
    await harness.send('update', 'keys/k', { key: encodeBase32(KEY_BYTES), ...settings });
    return harness;
  }

  test('accepts the current code once', async () => {
    const harness = await harnessWithKey();
    const code = totp(KEY_BYTES, NOW, parameters);

    assert.equal(await validate(harness, 'k', code), true);
    await assertRejects(harness.send('update', 'code/k', { code }), 400, CODE_USED_MESSAGE);
  });

  test('accepts the code read from code/:name', async () => {
    const harness = await harnessWithKey({ algorithm: 'SHA512', digits: 8 });
    const code = String(dataOf(await harness.send('read', 'code/k')).code);
    assert.equal(code.length, 8);
    assert.equal(await validate(harness, 'k', code), true);
  });

  test('rejects a replay in the next step, inside the skew', async () => {
    const harness = await harnessWithKey();
    const code = totp(KEY_BYTES, NOW, parameters);
    assert.equal(await validate(harness, 'k', code), true);

    harness.clock.advance(30);
    await assertRejects(harness.send('update', 'code/k', { code }), 400, CODE_USED_MESSAGE);
  });

  test('skew 1 accepts one step either side and no further', async () => {
    const harness = await harnessWithKey();
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW - 30_000, parameters)), true);
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW + 30_000, parameters)), true);
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW - 60_000, parameters)), false);
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW + 60_000, parameters)), false);
  });

  test('skew 0 accepts only the current step', async () => {
    const harness = await harnessWithKey({ skew: 0 });
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW - 30_000, parameters)), false);
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW + 30_000, parameters)), false);
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW, parameters)), true);
  });

  test('step boundaries follow the clock to the millisecond', async () => {
    const harness = await harnessWithKey({ skew: 0 });
    await harness.send('update', 'keys/twin', { key: encodeBase32(KEY_BYTES), skew: 0 });
    const stepStart = NOW - 10_000;
    const code = totp(KEY_BYTES, stepStart, parameters);

    harness.clock.current = stepStart - 1;
    assert.equal(await validate(harness, 'k', code), false);
    harness.clock.current = stepStart;
    assert.equal(await validate(harness, 'twin', code), true);
  });

  test('a used code is forgotten after period times (2 + skew)', async () => {
    const harness = await harnessWithKey({ skew: 0 });
    const code = totp(KEY_BYTES, NOW, parameters);
    assert.equal(await validate(harness, 'k', code), true);

    harness.clock.advance(59);
    await assertRejects(harness.send('update', 'code/k', { code }), 400, CODE_USED_MESSAGE);
    harness.clock.advance(1);
    assert.equal(await validate(harness, 'k', code), false);
  });

  test('a wrong code is recorded too, as in Vault', async () => {
    const harness = await harnessWithKey();
    const right = totp(KEY_BYTES, NOW, parameters);
    const wrong = right === '000000' ? '000001' : '000000';

    assert.equal(await validate(harness, 'k', wrong), false);
    await assertRejects(harness.send('update', 'code/k', { code: wrong }), 400, CODE_USED_MESSAGE);
    assert.equal(await validate(harness, 'k', right), true);
  });

  test('two concurrent validations of one code pass once', async () => {
    const harness = await harnessWithKey();
    const code = totp(KEY_BYTES, NOW, parameters);

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => harness.send('update', 'code/k', { code })));
    const passed = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    assert.equal(passed.length, 1);
    assert.deepEqual(dataOf(passed[0]!.value), { valid: true });
    assert.equal(rejected.length, 7);
    for (const result of rejected) assert.equal((result.reason as Error).message, CODE_USED_MESSAGE);
  });

  test('trims spaces around the code', async () => {
    const harness = await harnessWithKey();
    assert.equal(await validate(harness, 'k', ` ${totp(KEY_BYTES, NOW, parameters)}\n`), true);
  });

  test('malformed codes are invalid and not recorded', async () => {
    const harness = await harnessWithKey();
    for (const code of ['12345', '1234567', 'abcdef', '9'.repeat(100_000)]) {
      assert.equal(await validate(harness, 'k', code), false, code.slice(0, 10));
      assert.equal(await validate(harness, 'k', code), false, `${code.slice(0, 10)} again`);
    }
    assert.equal(harness.backend.usedCodes.size, 0);
  });

  test('rejects a missing code and changes nothing', async () => {
    const harness = await harnessWithKey();
    await assertRejectedUnchanged(harness, () => harness.send('update', 'code/k', {}), 'the code value is required');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'code/k', { code: '   ' }), 'the code value is required');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'code/k', { code: '123456', extra: 1 }), 'unknown field "extra"');
  });

  test('rejects an unknown key', async () => {
    const harness = await harnessWithKey();
    await assertRejectedUnchanged(harness, () => harness.send('update', 'code/other', { code: '123456' }), 'unknown key: other');
  });

  test('validation writes nothing to storage', async () => {
    const harness = await harnessWithKey();
    const before = await harness.snapshot();
    assert.equal(await validate(harness, 'k', totp(KEY_BYTES, NOW, parameters)), true);
    assert.deepEqual(await harness.snapshot(), before);
  });

  test('periodic prunes expired records', async () => {
    const harness = await harnessWithKey();
    await validate(harness, 'k', totp(KEY_BYTES, NOW, parameters));
    assert.equal(harness.backend.usedCodes.size, 1);
    harness.clock.advance(90);
    await harness.backend.periodic();
    assert.equal(harness.backend.usedCodes.size, 0);
  });
});

describe('damaged storage', () => {
  test('a corrupt entry fails without echoing it', async () => {
    const harness = createHarness();
    const secret = 'JBSWY3DPEHPK3PXPSECRETKEYMATERIAL';
    await harness.storage.put({ key: 'logical/7a1c0e42/key/k', value: Buffer.from(`{"key":"${secret}",`, 'utf8') });

    await assert.rejects(harness.send('read', 'code/k'), (err: unknown) => {
      assert.equal((err as { status?: number }).status, 500);
      assert.equal((err as Error).message, 'stored key "k" is damaged');
      return true;
    });
  });

  test('an entry with an unknown algorithm fails closed', async () => {
    const harness = createHarness();
    const entry = { key: KEY, issuer: '', account_name: '', period: 30, algorithm: 'MD5', digits: 6, skew: 1 };
    await harness.storage.put({ key: 'logical/7a1c0e42/key/k', value: Buffer.from(JSON.stringify(entry), 'utf8') });

    await assertRejects(harness.send('update', 'code/k', { code: '123456' }), 500, 'stored key "k" is damaged');
  });
});
