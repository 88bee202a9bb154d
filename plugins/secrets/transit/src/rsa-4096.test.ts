/**
 * Every operation of an rsa-4096 key. Generating one takes about a second,
 * so this is the only test file that creates one, and it creates it once.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { withOpenssl } from './openssl-support.js';
import { b64, createHarness, createKey, dataOf, decryptText, encryptText } from './test-support.js';

const MESSAGE = 'signed with rsa-4096';

describe('rsa-4096', () => {
  const harness = createHarness();

  before(async () => {
    await createKey(harness, 'big', { type: 'rsa-4096', exportable: true, allow_plaintext_backup: true });
  });

  test('key description', async () => {
    const key = dataOf(await harness.send('read', 'keys/big'));
    const version = (key.keys as Record<string, Record<string, unknown>>)['1'];

    assert.equal(key.type, 'rsa-4096');
    assert.equal(version.name, 'rsa-4096');
    assert.equal(createPublicKey(String(version.public_key)).asymmetricKeyDetails?.modulusLength, 4096);
  });

  test('encrypt, decrypt, rewrap and datakey', async () => {
    const ciphertext = await encryptText(harness, 'big', 'x'.repeat(446));
    const rewrapped = dataOf(await harness.send('update', 'rewrap/big', { ciphertext }));
    const dataKey = dataOf(await harness.send('update', 'datakey/plaintext/big', { bits: 512 }));

    assert.equal(Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64').length, 512);
    assert.equal(await decryptText(harness, 'big', ciphertext), 'x'.repeat(446));
    assert.equal(await decryptText(harness, 'big', String(rewrapped.ciphertext)), 'x'.repeat(446));
    assert.equal(dataOf(await harness.send('update', 'decrypt/big', { ciphertext: dataKey.ciphertext })).plaintext, dataKey.plaintext);
  });

  test('signatures verify with openssl', async () => {
    const pss = String(dataOf(await harness.send('update', 'sign/big/sha2-512', { input: b64(MESSAGE) })).signature);
    const pkcs1 = String(dataOf(await harness.send('update', 'sign/big', { input: b64(MESSAGE), signature_algorithm: 'pkcs1v15' })).signature);
    const publicKey = String((dataOf(await harness.send('read', 'export/public-key/big/1')).keys as Record<string, string>)['1']);
    const bytes = (signature: string) => Buffer.from(signature.slice('vault:v1:'.length), 'base64');

    const results = await withOpenssl(async ({ file, openssl }) => {
      const key = await file('pub.pem', publicKey);
      const msg = await file('msg', MESSAGE);
      return [
        await openssl(['dgst', '-sha512', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:auto', '-verify', key, '-signature', await file('pss', bytes(pss)), msg]),
        await openssl(['dgst', '-sha256', '-verify', key, '-signature', await file('pkcs1', bytes(pkcs1)), msg]),
      ];
    });

    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Verified OK/);
    }
    assert.equal(dataOf(await harness.send('update', 'verify/big/sha2-512', { input: b64(MESSAGE), signature: pss })).valid, true);
  });

  test('export and backup', async () => {
    const exported = (dataOf(await harness.send('read', 'export/signing-key/big')).keys as Record<string, string>)['1'];
    const backup = String(dataOf(await harness.send('read', 'backup/big')).backup);
    const target = createHarness();
    await target.send('update', 'restore', { backup });

    assert.match(exported, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    const ciphertext = await encryptText(harness, 'big', 'moved');
    assert.equal(await decryptText(target, 'big', ciphertext), 'moved');
  });
});
