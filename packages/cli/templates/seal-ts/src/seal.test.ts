import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileKeySource } from './key-source.js';
import { AesGcmSeal } from './seal.js';

describe('aes-gcm seal', () => {
  let dir: string;
  let keyFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), '__NAME__-seal-'));
    keyFile = join(dir, 'seal.key');
    await writeFile(keyFile, randomBytes(32).toString('hex'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('round trip with aad', async () => {
    const seal = new AesGcmSeal(new FileKeySource(keyFile));
    const plaintext = randomBytes(32);
    const blob = await seal.encrypt(plaintext, Buffer.from('aad'));
    assert.equal(blob.keyInfo.keyId, await seal.keyId());
    assert.deepEqual(await seal.decrypt(blob, Buffer.from('aad')), plaintext);
    await assert.rejects(seal.decrypt(blob, Buffer.from('other')), { message: 'decryption failed: the blob, the key or the associated data is wrong' });
  });

  test('tampered ciphertext is rejected', async () => {
    const seal = new AesGcmSeal(new FileKeySource(keyFile));
    const blob = await seal.encrypt(randomBytes(32));
    blob.ciphertext[0] = blob.ciphertext[0]! ^ 1;
    await assert.rejects(seal.decrypt(blob), { message: 'decryption failed: the blob, the key or the associated data is wrong' });
  });

  test('other key is rejected', async () => {
    const otherFile = join(dir, 'other.key');
    await writeFile(otherFile, randomBytes(32).toString('hex'));
    const blob = await new AesGcmSeal(new FileKeySource(keyFile)).encrypt(randomBytes(32));
    const other = new AesGcmSeal(new FileKeySource(otherFile));
    await assert.rejects(other.decrypt(blob), { message: new RegExp(`^the blob was encrypted with key "${blob.keyInfo.keyId}", but the current key is "sha256:[0-9a-f]{16}"$`) });
  });

  test('missing key file fails on use', async () => {
    const seal = new AesGcmSeal(new FileKeySource(join(dir, 'missing.key')));
    await assert.rejects(seal.keyId(), { message: `cannot read key file "${join(dir, 'missing.key')}": ENOENT` });
  });
});
