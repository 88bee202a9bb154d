import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf, decryptText, encryptText, type Harness } from './test-support.js';

async function backupOf(harness: Harness, name: string): Promise<string> {
  return String(dataOf(await harness.send('read', `backup/${name}`)).backup);
}

describe('backup and restore', () => {
  test('restore into a second mount decrypts every version', async () => {
    const source = createHarness();
    await createKey(source, 'aes', { exportable: true, allow_plaintext_backup: true });
    const v1 = await encryptText(source, 'aes', 'from version 1');
    await source.send('update', 'keys/aes/rotate');
    const v2 = await encryptText(source, 'aes', 'from version 2');
    await source.send('update', 'keys/aes/config', { min_encryption_version: 2 });
    const backup = await backupOf(source, 'aes');

    const target = createHarness();
    assert.equal(await target.send('update', 'restore', { backup }), null);

    assert.equal(await decryptText(target, 'aes', v1), 'from version 1');
    assert.equal(await decryptText(target, 'aes', v2), 'from version 2');
    const sourceKey = dataOf(await source.send('read', 'keys/aes'));
    const restoredKey = dataOf(await target.send('read', 'keys/aes'));
    assert.deepEqual(restoredKey.keys, sourceKey.keys);
    assert.equal(restoredKey.min_encryption_version, 2);
    assert.deepEqual(restoredKey.restore_info, { time: '2024-01-02T03:04:05.12Z', version: 2 });
    assert.deepEqual(sourceKey.backup_info, { time: '2024-01-02T03:04:05.12Z', version: 2 });
  });

  test('restore of signing, derived and hmac keys', async () => {
    const source = createHarness();
    const settings = { exportable: true, allow_plaintext_backup: true };
    await createKey(source, 'ed', { type: 'ed25519', derived: true, ...settings });
    await createKey(source, 'ec', { type: 'ecdsa-p256', ...settings });
    await createKey(source, 'rsa', { type: 'rsa-2048', ...settings });
    await createKey(source, 'mac', { type: 'hmac', key_size: 40, ...settings });
    await createKey(source, 'conv', { derived: true, convergent_encryption: true, ...settings });
    const target = createHarness();

    for (const name of ['ed', 'ec', 'rsa', 'mac', 'conv']) {
      await target.send('update', 'restore', { backup: await backupOf(source, name) });
    }

    const signed = dataOf(await source.send('update', 'sign/ed', { input: b64('m'), context: b64('c') }));
    assert.deepEqual(dataOf(await target.send('update', 'sign/ed', { input: b64('m'), context: b64('c') })), signed);
    for (const name of ['ec', 'rsa']) {
      const signature = dataOf(await source.send('update', `sign/${name}`, { input: b64('m') })).signature;
      assert.equal(dataOf(await target.send('update', `verify/${name}`, { input: b64('m'), signature })).valid, true, name);
    }
    const mac = dataOf(await source.send('update', 'hmac/mac', { input: b64('m') }));
    assert.deepEqual(dataOf(await target.send('update', 'hmac/mac', { input: b64('m') })), mac);
    const converged = await encryptText(source, 'conv', 'same', { context: b64('c') });
    assert.equal(await encryptText(target, 'conv', 'same', { context: b64('c') }), converged);
  });

  test('restore under another name and with force', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes', { exportable: true, allow_plaintext_backup: true });
    const ciphertext = await encryptText(harness, 'aes', 'copy');
    const backup = await backupOf(harness, 'aes');

    await harness.send('update', 'restore/copy', { backup });
    assert.equal(await decryptText(harness, 'copy', ciphertext), 'copy');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'restore/copy', { backup }), 'key "copy" already exists: set force to replace it');

    await createKey(harness, 'other');
    await harness.send('update', 'restore/other', { backup, force: true });
    assert.equal(await decryptText(harness, 'other', ciphertext), 'copy');
  });

  test('name in the body is ignored', async () => {
    const source = createHarness();
    await createKey(source, 'aes', { exportable: true, allow_plaintext_backup: true });
    const backup = await backupOf(source, 'aes');
    const target = createHarness();

    // Only the URL names a new key, as in Vault, so a body cannot store a key
    // under a name that no keys/ path can reach.
    assert.equal(await target.send('update', 'restore', { backup, name: 'a/b' }), null);

    assert.deepEqual(dataOf(await target.send('list', 'keys/')).keys, ['aes']);
  });

  test('backup needs exportable and allow_plaintext_backup', async () => {
    const harness = createHarness();
    await createKey(harness, 'plain');
    await createKey(harness, 'exportable', { exportable: true });

    await assertRejectedUnchanged(harness, () => harness.send('read', 'backup/plain'), 'exporting is disallowed on the policy');
    await assertRejectedUnchanged(harness, () => harness.send('read', 'backup/exportable'), 'plaintext backup is disallowed on the policy');
    assert.equal(await harness.send('read', 'backup/none'), null);
  });

  test('invalid backups are rejected', async () => {
    const source = createHarness();
    await createKey(source, 'aes', { exportable: true, allow_plaintext_backup: true });
    const document = JSON.parse(Buffer.from(await backupOf(source, 'aes'), 'base64').toString()) as Record<string, unknown>;
    const tampered = (change: (copy: Record<string, unknown>) => void): string => {
      const copy = structuredClone(document);
      change(copy);
      return b64(JSON.stringify(copy));
    };
    const versionOf = (copy: Record<string, unknown>) => (copy.versions as Record<string, Record<string, unknown>>)['1'];
    const harness = createHarness();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'missing field "backup": give the output of backup/'],
      [{ backup: 'abc' }, 'invalid field "backup": base64 length 3 is not a multiple of 4'],
      [{ backup: b64('not json') }, 'invalid field "backup": not a Coffer key backup: not JSON'],
      // The key material unquoted: the message must not echo it.
      [{ backup: b64(JSON.stringify(document).replace(/"key":"/, '"key":')) }, 'invalid field "backup": not a Coffer key backup: not JSON'],
      [{ backup: tampered((copy) => (copy.format = 2)) }, 'invalid field "backup": not a Coffer key backup: format 2 is not 1'],
      [{ backup: tampered((copy) => (copy.name = '../escape')) }, 'invalid field "backup": not a Coffer key backup: name "../escape" is not a valid key name'],
      [{ backup: tampered((copy) => (copy.type = 'des')) }, 'invalid field "backup": not a Coffer key backup: type "des" is not a key type'],
      [
        { backup: tampered((copy) => (copy.latest_version = 2)) },
        'invalid field "backup": not a Coffer key backup: versions must hold exactly versions 1 to 2',
      ],
      [
        { backup: tampered((copy) => (versionOf(copy).key = b64('short'))) },
        'invalid field "backup": not a Coffer key backup: versions.1.key is 5 bytes, expected 32',
      ],
      [
        { backup: tampered((copy) => (copy.min_decryption_version = 0)) },
        'invalid field "backup": not a Coffer key backup: min_decryption_version is not an integer of at least 1',
      ],
      [
        { backup: tampered((copy) => (versionOf(copy).created_at = 9e15)) },
        'invalid field "backup": not a Coffer key backup: versions.1.created_at is not a time in milliseconds from 0 to 8640000000000000',
      ],
      [
        { backup: tampered((copy) => (copy.backup_info = { time: 9e15, version: 1 })) },
        'invalid field "backup": not a Coffer key backup: backup_info.time is not a time in milliseconds from 0 to 8640000000000000',
      ],
      [
        { backup: tampered((copy) => (copy.auto_rotate_period = 60)) },
        'invalid field "backup": not a Coffer key backup: auto_rotate_period is neither 0 nor at least an hour',
      ],
      [{ backup: tampered((copy) => (copy.imported = 'yes')) }, 'invalid field "backup": not a Coffer key backup: imported is not a boolean'],
      [
        { backup: tampered((copy) => (copy.allow_imported_key_rotation = true)) },
        'invalid field "backup": not a Coffer key backup: allow_imported_key_rotation is set on a key that was not imported',
      ],
      [
        { backup: tampered((copy) => Object.assign(copy, { imported: true, auto_rotate_period: 3600 })) },
        'invalid field "backup": not a Coffer key backup: auto_rotate_period is set on an imported key that does not allow rotation',
      ],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'restore', body), message);
    }
  });

  test('restored key stops at version 2^53 - 1', async () => {
    const source = createHarness();
    await createKey(source, 'aes', { exportable: true, allow_plaintext_backup: true });
    const document = JSON.parse(Buffer.from(await backupOf(source, 'aes'), 'base64').toString()) as Record<string, unknown>;
    const last = Number.MAX_SAFE_INTEGER;
    const versions = document.versions as Record<string, unknown>;
    const crafted = { ...document, latest_version: last, min_available_version: last, min_decryption_version: last, versions: { [last]: versions['1'] } };
    const harness = createHarness();
    await harness.send('update', 'restore', { backup: b64(JSON.stringify(crafted)) });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'keys/aes/rotate'),
      'key "aes" is at version 9007199254740991, the highest a key can have, so it cannot rotate',
    );
    const restarted = createHarness({ storage: harness.storage });
    assert.equal(dataOf(await restarted.send('read', 'keys/aes')).latest_version, last);
  });

  test('asymmetric material must match its public key', async () => {
    const source = createHarness();
    await createKey(source, 'first', { type: 'ecdsa-p256', exportable: true, allow_plaintext_backup: true });
    await createKey(source, 'second', { type: 'ecdsa-p256', exportable: true, allow_plaintext_backup: true });
    const firstBackup = JSON.parse(Buffer.from(await backupOf(source, 'first'), 'base64').toString()) as { versions: Record<string, Record<string, unknown>> };
    const secondBackup = JSON.parse(Buffer.from(await backupOf(source, 'second'), 'base64').toString()) as { versions: Record<string, Record<string, unknown>> };
    firstBackup.versions['1'].public_key = secondBackup.versions['1'].public_key;
    const harness = createHarness();

    await assertRejects(
      harness.send('update', 'restore', { backup: b64(JSON.stringify(firstBackup)) }),
      400,
      'invalid field "backup": not a Coffer key backup: versions.1.public_key does not match the private key',
    );
  });

  test('inconsistent asymmetric keys not restored', async () => {
    const source = createHarness();
    await createKey(source, 'ec', { type: 'ecdsa-p256', exportable: true, allow_plaintext_backup: true });
    await createKey(source, 'rsa', { type: 'rsa-2048', exportable: true, allow_plaintext_backup: true });
    type Backup = { versions: Record<string, Record<string, unknown>> };
    const ecBackup = JSON.parse(Buffer.from(await backupOf(source, 'ec'), 'base64').toString()) as Backup;
    const rsaBackup = JSON.parse(Buffer.from(await backupOf(source, 'rsa'), 'base64').toString()) as Backup;
    /** Puts a private key into version 1 with the public key that OpenSSL reads from it, as a crafted backup would. */
    const craft = (backup: Backup, jwk: JsonWebKey): string => {
      const key = createPrivateKey({ key: jwk, format: 'jwk' });
      backup.versions['1'].private_key = key.export({ type: 'pkcs8', format: 'der' }).toString('base64');
      backup.versions['1'].public_key = String(createPublicKey(key).export({ type: 'spki', format: 'pem' }));
      return b64(JSON.stringify(backup));
    };
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const one = Buffer.from([1]).toString('base64url');
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'restore', { backup: craft(ecBackup, { ...ec, x: otherEc.x, y: otherEc.y }) }),
      'invalid field "backup": not a Coffer key backup: versions.1.private_key is inconsistent: its public key is not the one of its private scalar',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'restore', { backup: craft(rsaBackup, { ...rsa, e: one, d: one, dp: one, dq: one }) }),
      'invalid field "backup": not a Coffer key backup: versions.1.private_key has public exponent 1: it must be odd and at least 3, such as 65537',
    );
  });
});
