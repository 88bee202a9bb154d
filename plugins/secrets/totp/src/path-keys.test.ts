import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { encodeBase32 } from './otp.js';
import { assertRejectedUnchanged, createHarness, dataOf, oathtoolCode } from './test-support.js';

const run = promisify(execFile);

const SAMPLE_SECRET = 'Y64VEVMBTSXCYIWRSHRNDZW62MPGVU2G';
const SAMPLE_URL = `otpauth://totp/Google:test@gmail.com?secret=${SAMPLE_SECRET}&issuer=Google`;

describe('keys/:name import', () => {
  test('stores a base32 key with defaults', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('update', 'keys/plain', { key: 'jbswy3dpehpk3pxp' }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'keys/plain')), { issuer: '', account_name: '', period: 30, algorithm: 'SHA1', digits: 6 });
  });

  test('reads settings from Vault\'s sample url', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('update', 'keys/my-key', { url: SAMPLE_URL }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'keys/my-key')), {
      issuer: 'Google',
      account_name: 'test@gmail.com',
      period: 30,
      algorithm: 'SHA1',
      digits: 6,
    });
  });

  test('url parameters win over fields', async () => {
    const harness = createHarness();
    const url = `otpauth://totp/Acme:bob?secret=${SAMPLE_SECRET}&algorithm=SHA512&digits=8&period=60`;
    await harness.send('update', 'keys/k', { url, algorithm: 'SHA256', digits: 6, period: 15, issuer: 'Other' });

    assert.deepEqual(dataOf(await harness.send('read', 'keys/k')), { issuer: 'Acme', account_name: 'bob', period: 60, algorithm: 'SHA512', digits: 8 });
  });

  test('takes period as a duration', async () => {
    const harness = createHarness();
    await harness.send('update', 'keys/k', { key: SAMPLE_SECRET, period: '1m' });
    assert.equal(dataOf(await harness.send('read', 'keys/k')).period, 60);
  });

  test('a write replaces the key', async () => {
    const harness = createHarness();
    await harness.send('update', 'keys/k', { key: SAMPLE_SECRET, digits: 8 });
    await harness.send('update', 'keys/k', { key: 'JBSWY3DPEHPK3PXP', algorithm: 'SHA256' });
    const data = dataOf(await harness.send('read', 'keys/k'));
    assert.equal(data.digits, 6);
    assert.equal(data.algorithm, 'SHA256');
  });

  test('the stored entry holds the key under the mount view only', async () => {
    const harness = createHarness();
    await harness.send('update', 'keys/k', { key: 'jbswy3dpehpk3pxp', issuer: 'Acme', account_name: 'bob', skew: 0 });
    const stored = [...(await harness.snapshot()).entries()];
    assert.equal(stored.length, 1);
    assert.equal(stored[0]![0], 'logical/7a1c0e42/key/k');
    assert.deepEqual(JSON.parse(stored[0]![1].toString('utf8')), {
      key: 'JBSWY3DPEHPK3PXP',
      issuer: 'Acme',
      account_name: 'bob',
      period: 30,
      algorithm: 'SHA1',
      digits: 6,
      skew: 0,
    });
  });
});

describe('keys/:name generate', () => {
  test('returns a url and a QR code of it', async () => {
    const harness = createHarness();
    const data = dataOf(await harness.send('update', 'keys/gen', { generate: true, issuer: 'Acme Corp', account_name: 'alice@example.com' }));

    assert.deepEqual(Object.keys(data).sort(), ['barcode', 'url']);
    const url = String(data.url);
    assert.match(url, /^otpauth:\/\/totp\/Acme%20Corp:alice@example\.com\?algorithm=SHA1&digits=6&issuer=Acme%20Corp&period=30&secret=[A-Z2-7]{32}$/);
    const png = Buffer.from(String(data.barcode), 'base64');
    const image = PNG.sync.read(png);
    assert.equal(image.width, 200);
    assert.equal(image.height, 200);

    const directory = await mkdtemp(join(tmpdir(), 'coffer-totp-keys-'));
    try {
      await writeFile(join(directory, 'barcode.png'), png);
      const { stdout } = await run('zbarimg', ['--quiet', '--raw', join(directory, 'barcode.png')]);
      assert.equal(stdout.replace(/\n$/, ''), url);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('the generated secret drives code/:name', async () => {
    const harness = createHarness();
    const data = dataOf(
      await harness.send('update', 'keys/gen', { generate: true, issuer: 'Acme', account_name: 'a', key_size: 32, algorithm: 'SHA256', digits: 8, period: 45 }),
    );
    const secret = new URL(String(data.url)).searchParams.get('secret')!;
    assert.equal(secret.length, 52);

    const code = dataOf(await harness.send('read', 'code/gen')).code;
    assert.equal(code, await oathtoolCode(secret, harness.clock.now(), 'SHA256', 8, 45));
  });

  test('qr_size 0 returns only the url', async () => {
    const harness = createHarness();
    const data = dataOf(await harness.send('update', 'keys/gen', { generate: true, issuer: 'Acme', account_name: 'a', qr_size: 0 }));
    assert.deepEqual(Object.keys(data), ['url']);
  });

  test('qr_size sets the image size', async () => {
    const harness = createHarness();
    const data = dataOf(await harness.send('update', 'keys/gen', { generate: true, issuer: 'Acme', account_name: 'a', qr_size: 321 }));
    const image = PNG.sync.read(Buffer.from(String(data.barcode), 'base64'));
    assert.equal(image.width, 321);
    assert.equal(image.height, 321);
  });

  test('exported false returns nothing but stores the key', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('update', 'keys/gen', { generate: true, issuer: 'Acme', account_name: 'a', exported: false }), null);
    assert.deepEqual(dataOf(await harness.send('read', 'keys/gen')), { issuer: 'Acme', account_name: 'a', period: 30, algorithm: 'SHA1', digits: 6 });
  });

  test('two generated keys differ', async () => {
    const harness = createHarness();
    const first = dataOf(await harness.send('update', 'keys/a', { generate: true, issuer: 'I', account_name: 'a', qr_size: 0 }));
    const second = dataOf(await harness.send('update', 'keys/b', { generate: true, issuer: 'I', account_name: 'a', qr_size: 0 }));
    assert.notEqual(first.url, second.url);
  });
});

describe('keys list, read and delete', () => {
  test('lists names sorted', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'keys/'), null);
    for (const name of ['zeta', 'alpha', 'mid@x.com']) await harness.send('update', `keys/${name}`, { key: SAMPLE_SECRET });
    assert.deepEqual(dataOf(await harness.send('list', 'keys/')), { keys: ['alpha', 'mid@x.com', 'zeta'] });
  });

  test('a missing key reads as null', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('read', 'keys/missing'), null);
  });

  test('delete removes the key and succeeds when missing', async () => {
    const harness = createHarness();
    await harness.send('update', 'keys/k', { key: SAMPLE_SECRET });
    assert.equal(await harness.send('delete', 'keys/k'), null);
    assert.equal(await harness.send('read', 'keys/k'), null);
    assert.equal((await harness.snapshot()).size, 0);
    assert.equal(await harness.send('delete', 'keys/k'), null);
  });
});

describe('keys/:name validation', () => {
  const generate = { generate: true, issuer: 'Acme', account_name: 'alice' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['key with generate', { ...generate, key: SAMPLE_SECRET }, 'a key should not be passed if generate is true'],
    ['url with generate', { ...generate, url: SAMPLE_URL }, 'a url should not be passed if generate is true'],
    ['key with url', { key: SAMPLE_SECRET, url: SAMPLE_URL }, 'a key should not be passed together with a url: the url carries the key'],
    ['no key', {}, 'the key value is required'],
    ['illegal base32', { key: 'JBSWY3DPEHPK3PX1' }, 'invalid key value: illegal base32 data at input byte 15'],
    ['partial base32', { key: 'JBS' }, 'invalid key value: base32 data of length 3 does not encode whole bytes'],
    ['padding only', { key: '========' }, 'invalid key value: the key is empty'],
    ['key too long', { key: encodeBase32(Buffer.alloc(1025, 7)) }, 'invalid key value: the key is longer than 1024 bytes'],
    ['url of another scheme', { url: `https://totp/A:b?secret=${SAMPLE_SECRET}` }, 'the url value must start with otpauth://totp/: only TOTP key URLs are supported'],
    ['hotp url', { url: `otpauth://hotp/A:b?secret=${SAMPLE_SECRET}` }, 'the url value must start with otpauth://totp/: only TOTP key URLs are supported'],
    ['url without secret', { url: 'otpauth://totp/A:b?issuer=A' }, 'the url value has no secret parameter'],
    ['url with bad secret', { url: 'otpauth://totp/A:b?secret=1111' }, 'invalid secret value in url: illegal base32 data at input byte 0'],
    ['url with 7 digits', { url: `otpauth://totp/A:b?secret=${SAMPLE_SECRET}&digits=7` }, 'the digits value can only be 6 or 8, not 7'],
    ['url with MD5', { url: `otpauth://totp/A:b?secret=${SAMPLE_SECRET}&algorithm=MD5` }, 'the algorithm value is not valid: use SHA1, SHA256, SHA512'],
    ['url with period 0', { url: `otpauth://totp/A:b?secret=${SAMPLE_SECRET}&period=0` }, 'the period value must be greater than zero'],
    ['digits 7', { key: SAMPLE_SECRET, digits: 7 }, 'the digits value can only be 6 or 8, not 7'],
    ['digits as text', { key: SAMPLE_SECRET, digits: 'six' }, 'invalid field "digits": expected an integer, got "six"'],
    ['algorithm MD5', { key: SAMPLE_SECRET, algorithm: 'MD5' }, 'the algorithm value is not valid: use SHA1, SHA256, SHA512'],
    ['algorithm lowercase', { key: SAMPLE_SECRET, algorithm: 'sha256' }, 'the algorithm value is not valid: use SHA1, SHA256, SHA512'],
    ['period 0', { key: SAMPLE_SECRET, period: 0 }, 'the period value must be greater than zero'],
    ['period huge', { key: SAMPLE_SECRET, period: 1e300 }, 'invalid field "period": 1e+300 is longer than the maximum of 2562047h47m16s: use a shorter duration'],
    ['skew 2', { key: SAMPLE_SECRET, skew: 2 }, 'the skew value must be 0 or 1'],
    ['skew -1', { key: SAMPLE_SECRET, skew: -1 }, 'the skew value must be 0 or 1'],
    ['qr_size -1', { ...generate, qr_size: -1 }, 'the qr_size value must be greater than or equal to zero'],
    ['qr_size 2049', { ...generate, qr_size: 2049 }, 'the qr_size value must be at most 2048'],
    ['qr_size too small', { ...generate, qr_size: 20 }, 'the qr_size value 20 is too small for this QR code: use at least 41, or 0 for no QR code'],
    ['key_size 0', { ...generate, key_size: 0 }, 'the key_size value must be greater than zero'],
    ['key_size 1025', { ...generate, key_size: 1025 }, 'the key_size value must be at most 1024'],
    ['generate without account_name', { generate: true, issuer: 'Acme' }, 'the account_name value is required for generated keys'],
    ['generate without issuer', { generate: true, account_name: 'alice' }, 'the issuer value is required for generated keys'],
    [
      'url too long for a QR code',
      { ...generate, issuer: 'x'.repeat(3000) },
      'the url is too long for a QR code: shorten issuer or account_name, lower key_size, or set qr_size to 0',
    ],
    ['unknown field', { key: SAMPLE_SECRET, colour: 'red' }, 'unknown field "colour"'],
  ];

  for (const [name, body, message] of cases) {
    test(`rejects ${name}`, async () => {
      const harness = createHarness();
      await harness.send('update', 'keys/k', { key: 'JBSWY3DPEHPK3PXP', issuer: 'Before' });
      await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/k', body), message);
    });
  }

  test('error messages never contain the key', async () => {
    const harness = createHarness();
    const secret = 'JBSWY3DPEHPK3PX1';
    await assertRejectedUnchanged(harness, () => harness.send('update', 'keys/k', { key: secret }), 'invalid key value: illegal base32 data at input byte 15');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/k', { url: `otpauth://totp/A:b?secret=${secret}` }),
      'invalid secret value in url: illegal base32 data at input byte 15',
    );
  });
});
