import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError } from '@coffer/sdk';
import { buildKeyUrl, parseKeyUrl } from './key-url.js';

const SECRET = 'HTXT7KJFVNAJUPYWQRWMNVQE5AF5YZI2';

function rejection(text: string): string {
  try {
    parseKeyUrl(text);
  } catch (err) {
    assert.ok(isCofferError(err));
    assert.equal(err.status, 400);
    return err.message;
  }
  assert.fail(`parseKeyUrl accepted ${text}`);
}

describe('buildKeyUrl', () => {
  test('writes Vault\'s parameter order', () => {
    const url = buildKeyUrl({ issuer: 'Google', accountName: 'test@gmail.com', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30 });
    assert.equal(url, `otpauth://totp/Google:test@gmail.com?algorithm=SHA1&digits=6&issuer=Google&period=30&secret=${SECRET}`);
  });

  test('encodes spaces and colons in names', () => {
    const url = buildKeyUrl({ issuer: 'Acme Corp', accountName: 'ops:alice', secret: SECRET, algorithm: 'SHA512', digits: 8, period: 60 });
    assert.equal(url, `otpauth://totp/Acme%20Corp:ops%3Aalice?algorithm=SHA512&digits=8&issuer=Acme%20Corp&period=60&secret=${SECRET}`);
  });

  test('round-trips through parseKeyUrl', () => {
    const settings = { issuer: 'A:B & C', accountName: '名前@example.com', secret: SECRET, algorithm: 'SHA256', digits: 8, period: 45 } as const;
    assert.deepEqual(parseKeyUrl(buildKeyUrl(settings)), {
      issuer: 'A:B & C',
      accountName: '名前@example.com',
      secret: SECRET,
      algorithm: 'SHA256',
      digits: 8,
      period: 45,
    });
  });
});

describe('parseKeyUrl', () => {
  test('reads Vault\'s sample URL', () => {
    assert.deepEqual(parseKeyUrl(`otpauth://totp/Google:test@gmail.com?secret=${SECRET}&issuer=Google`), {
      issuer: 'Google',
      accountName: 'test@gmail.com',
      secret: SECRET,
      algorithm: undefined,
      digits: undefined,
      period: undefined,
    });
  });

  test('prefers the issuer parameter to the label', () => {
    assert.equal(parseKeyUrl(`otpauth://totp/Label:bob?secret=${SECRET}&issuer=Param`).issuer, 'Param');
    assert.equal(parseKeyUrl(`otpauth://totp/Label:bob?secret=${SECRET}`).issuer, 'Label');
    assert.equal(parseKeyUrl(`otpauth://totp/bob?secret=${SECRET}`).issuer, undefined);
    assert.equal(parseKeyUrl(`otpauth://totp/bob?secret=${SECRET}`).accountName, 'bob');
  });

  test('rejects other schemes and types', () => {
    const message = 'the url value must start with otpauth://totp/: only TOTP key URLs are supported';
    assert.equal(rejection(`otpauth://hotp/A:b?secret=${SECRET}&counter=1`), message);
    assert.equal(rejection(`https://totp/A:b?secret=${SECRET}`), message);
  });

  test('rejects text that is not a URL', () => {
    assert.equal(rejection('not a url'), 'the url value is not a valid URL: use the form otpauth://totp/ISSUER:ACCOUNT?secret=BASE32');
  });

  test('rejects non-integer digits and period', () => {
    assert.equal(rejection(`otpauth://totp/A:b?secret=${SECRET}&digits=six`), 'an error occurred while parsing digits value in url: expected an integer');
    assert.equal(rejection(`otpauth://totp/A:b?secret=${SECRET}&period=1.5`), 'an error occurred while parsing period value in url: expected an integer');
    assert.equal(rejection(`otpauth://totp/A:b?secret=${SECRET}&period=99999999999999999999`), 'an error occurred while parsing period value in url: expected an integer');
  });

  test('rejects a broken percent-encoding', () => {
    assert.equal(rejection(`otpauth://totp/A:b%ZZ?secret=${SECRET}`), 'the url value has an invalid percent-encoding in its label');
  });

  test('messages never contain the secret', () => {
    for (const text of [`otpauth://hotp/A:b?secret=${SECRET}`, `otpauth://totp/A:b?secret=${SECRET}&digits=x`, `otpauth://totp/%E0:b?secret=${SECRET}`]) {
      assert.doesNotMatch(rejection(text), new RegExp(SECRET));
    }
  });
});
