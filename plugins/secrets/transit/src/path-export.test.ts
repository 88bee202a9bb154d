import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, createKey, dataOf, type Harness } from './test-support.js';

async function exported(harness: Harness, path: string): Promise<Record<string, string>> {
  const data = dataOf(await harness.send('read', `export/${path}`));
  return data.keys as Record<string, string>;
}

describe('export', () => {
  test('symmetric keys in base64', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes128', { type: 'aes128-gcm96', exportable: true });
    await createKey(harness, 'chacha', { type: 'chacha20-poly1305', exportable: true });

    const data = dataOf(await harness.send('read', 'export/encryption-key/aes128'));

    assert.deepEqual(Object.keys(data).sort(), ['keys', 'name', 'type']);
    assert.equal(data.name, 'aes128');
    assert.equal(data.type, 'aes128-gcm96');
    assert.equal(Buffer.from((data.keys as Record<string, string>)['1'], 'base64').length, 16);
    assert.equal(Buffer.from((await exported(harness, 'encryption-key/chacha'))['1'], 'base64').length, 32);
    assert.equal(Buffer.from((await exported(harness, 'hmac-key/chacha'))['1'], 'base64').length, 32);
  });

  test('asymmetric keys in Vault formats', async () => {
    const harness = createHarness();
    await createKey(harness, 'ec', { type: 'ecdsa-p384', exportable: true });
    await createKey(harness, 'ed', { type: 'ed25519', exportable: true });
    await createKey(harness, 'rsa', { type: 'rsa-2048', exportable: true });

    const ecPrivate = (await exported(harness, 'signing-key/ec'))['1'];
    const ecPublic = (await exported(harness, 'public-key/ec'))['1'];
    const edPrivate = Buffer.from((await exported(harness, 'signing-key/ed'))['1'], 'base64');
    const edPublic = Buffer.from((await exported(harness, 'public-key/ed'))['1'], 'base64');
    const rsaSigning = (await exported(harness, 'signing-key/rsa'))['1'];
    const rsaEncryption = (await exported(harness, 'encryption-key/rsa'))['1'];
    const rsaPublic = (await exported(harness, 'public-key/rsa'))['1'];

    assert.match(ecPrivate, /^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+\n-----END EC PRIVATE KEY-----$/);
    assert.match(ecPublic, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
    assert.equal(createPublicKey(createPrivateKey(ecPrivate)).export({ type: 'spki', format: 'pem' }).toString().trim(), ecPublic);
    assert.equal(edPrivate.length, 64);
    assert.deepEqual(edPrivate.subarray(32), edPublic);
    assert.match(rsaSigning, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
    assert.equal(rsaEncryption, rsaSigning);
    assert.match(rsaPublic, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    assert.equal(createPublicKey(createPrivateKey(rsaSigning)).export({ type: 'spki', format: 'pem' }), rsaPublic);
  });

  test('versions', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes', { exportable: true });
    await harness.send('update', 'keys/aes/rotate');
    await harness.send('update', 'keys/aes/rotate');
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2 });

    const all = await exported(harness, 'encryption-key/aes');

    assert.deepEqual(Object.keys(all), ['2', '3']);
    assert.deepEqual(await exported(harness, 'encryption-key/aes/3'), { '3': all['3'] });
    assert.deepEqual(await exported(harness, 'encryption-key/aes/v2'), { '2': all['2'] });
    assert.deepEqual(await exported(harness, 'encryption-key/aes/latest'), { '3': all['3'] });
  });

  test('public keys export without exportable', async () => {
    const harness = createHarness();
    await createKey(harness, 'ec', { type: 'ecdsa-p256' });

    assert.match((await exported(harness, 'public-key/ec'))['1'], /^-----BEGIN PUBLIC KEY-----/);
  });

  test('missing key', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'export/encryption-key/none'), null);
  });

  test('invalid requests', async () => {
    const harness = createHarness();
    await createKey(harness, 'locked');
    await createKey(harness, 'aes', { exportable: true });
    await createKey(harness, 'ec', { type: 'ecdsa-p256', exportable: true });
    await harness.send('update', 'keys/aes/rotate');
    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2 });
    const cases: Array<[string, string]> = [
      ['export/encryption-key/locked', 'private key material is not exportable'],
      ['export/hmac-key/locked', 'private key material is not exportable'],
      ['export/private-key/aes', 'invalid field "type": invalid export type "private-key": use one of encryption-key, signing-key, hmac-key, public-key'],
      ['export/signing-key/aes', 'export type signing-key is not supported for key type aes256-gcm96'],
      ['export/public-key/aes', 'export type public-key is not supported for key type aes256-gcm96'],
      ['export/encryption-key/ec', 'export type encryption-key is not supported for key type ecdsa-p256'],
      ['export/encryption-key/aes/1', 'invalid field "version": 1 is below min_decryption_version 2'],
      ['export/encryption-key/aes/7', 'invalid field "version": version 7 does not exist'],
      ['export/encryption-key/aes/first', 'invalid field "version": "first" is not a version: use a number, v<number> or latest'],
    ];

    for (const [path, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('read', path), message);
    }
  });
});
