import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withOpenssl } from './openssl-support.js';
import { assertRejectedUnchanged, assertRejects, b64, createHarness, createKey, dataOf, type Harness } from './test-support.js';

const MESSAGE = 'message to authenticate';

/** Reads the digest from openssl dgst output such as "HMAC-SHA256(msg)= 3f0a...". */
function opensslDigest(stdout: string): Buffer {
  return Buffer.from(stdout.trim().split('= ')[1], 'hex');
}

/** Builds a backup of an hmac key with the given key bytes, in Coffer's backup format. */
function hmacKeyBackup(name: string, key: string): string {
  const document = {
    format: 1,
    name,
    type: 'hmac',
    derived: false,
    convergent_encryption: false,
    exportable: false,
    allow_plaintext_backup: false,
    deletion_allowed: false,
    min_decryption_version: 1,
    min_encryption_version: 0,
    min_available_version: 0,
    latest_version: 1,
    auto_rotate_period: 0,
    key_size: key.length,
    backup_info: null,
    restore_info: null,
    versions: { '1': { created_at: 0, key: b64(key), hmac_key: b64(key) } },
  };
  return b64(JSON.stringify(document));
}

async function exportedHmacKey(harness: Harness, name: string, version: number): Promise<Buffer> {
  const data = dataOf(await harness.send('read', `export/hmac-key/${name}/${version}`));
  return Buffer.from(String((data.keys as Record<string, string>)[String(version)]), 'base64');
}

async function hmacOf(harness: Harness, path: string, body: Record<string, unknown>): Promise<string> {
  return String(dataOf(await harness.send('update', path, body)).hmac);
}

describe('hmac', () => {
  test('matches openssl dgst for every algorithm', async () => {
    const harness = createHarness();
    await createKey(harness, 'mac', { type: 'hmac', key_size: 48, exportable: true });
    const key = await exportedHmacKey(harness, 'mac', 1);
    const algorithms: Array<[string, string]> = [
      ['sha2-224', '-sha224'],
      ['sha2-256', '-sha256'],
      ['sha2-384', '-sha384'],
      ['sha2-512', '-sha512'],
      ['sha3-256', '-sha3-256'],
      ['sha3-512', '-sha3-512'],
    ];

    for (const [algorithm, flag] of algorithms) {
      const mac = await hmacOf(harness, `hmac/mac/${algorithm}`, { input: b64(MESSAGE) });
      // `-hmac` takes the key as text, and random key bytes are not text,
      // so openssl gets the same key in hex through -macopt.
      const result = await withOpenssl(async ({ file, openssl }) =>
        openssl(['dgst', flag, '-mac', 'HMAC', '-macopt', `hexkey:${key.toString('hex')}`, await file('msg', MESSAGE)]),
      );

      assert.equal(result.code, 0, result.stderr);
      assert.equal(mac, `vault:v1:${opensslDigest(result.stdout).toString('base64')}`, algorithm);
    }
    assert.equal(key.length, 48);
  });

  test('matches openssl dgst -hmac with a text key', async () => {
    const harness = createHarness();
    // A restored backup gives the key a known, printable value for -hmac.
    const textKey = 'coffer-transit-known-answer-key!';
    await harness.send('update', 'restore', { backup: hmacKeyBackup('text-key', textKey) });
    const mac = await hmacOf(harness, 'hmac/text-key', { input: b64(MESSAGE) });

    const result = await withOpenssl(async ({ file, openssl }) => openssl(['dgst', '-sha256', '-hmac', textKey, await file('msg', MESSAGE)]));

    assert.equal(result.code, 0, result.stderr);
    assert.equal(mac, `vault:v1:${opensslDigest(result.stdout).toString('base64')}`);
  });

  test('verify through verify path', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const mac = await hmacOf(harness, 'hmac/aes/sha2-512', { input: b64(MESSAGE) });

    const ok = dataOf(await harness.send('update', 'verify/aes/sha2-512', { input: b64(MESSAGE), hmac: mac }));
    const wrongAlgorithm = dataOf(await harness.send('update', 'verify/aes', { input: b64(MESSAGE), hmac: mac }));
    const wrongInput = dataOf(await harness.send('update', 'verify/aes/sha2-512', { input: b64('other'), hmac: mac }));

    assert.deepEqual(ok, { valid: true });
    assert.deepEqual(wrongAlgorithm, { valid: false });
    assert.deepEqual(wrongInput, { valid: false });
  });

  test('versions and min_decryption_version', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const v1 = await hmacOf(harness, 'hmac/aes', { input: b64(MESSAGE) });
    await harness.send('update', 'keys/aes/rotate');
    const v2 = await hmacOf(harness, 'hmac/aes', { input: b64(MESSAGE) });
    const explicitV1 = await hmacOf(harness, 'hmac/aes', { input: b64(MESSAGE), key_version: 1 });

    assert.match(v2, /^vault:v2:/);
    assert.equal(explicitV1, v1);
    assert.notEqual(v1.slice(9), v2.slice(9));
    assert.equal(dataOf(await harness.send('update', 'verify/aes', { input: b64(MESSAGE), hmac: v1 })).valid, true);

    await harness.send('update', 'keys/aes/config', { min_decryption_version: 2, min_encryption_version: 2 });
    await assertRejects(
      harness.send('update', 'verify/aes', { input: b64(MESSAGE), hmac: v1 }),
      400,
      'cannot verify HMAC: version is too old (disallowed by policy)',
    );
    await assertRejects(
      harness.send('update', 'hmac/aes', { input: b64(MESSAGE), key_version: 1 }),
      400,
      'cannot generate HMAC: version is too old (disallowed by policy)',
    );
    await assertRejects(harness.send('update', 'verify/aes', { input: b64(MESSAGE), hmac: 'vault:v3:AAAA' }), 400, 'invalid HMAC: version is too new');
  });

  test('every key type has an HMAC key', async () => {
    const harness = createHarness();

    for (const type of ['chacha20-poly1305', 'ed25519', 'ecdsa-p256', 'rsa-2048']) {
      await createKey(harness, type, { type });
      const mac = await hmacOf(harness, `hmac/${type}`, { input: b64(MESSAGE) });
      assert.equal(dataOf(await harness.send('update', `verify/${type}`, { input: b64(MESSAGE), hmac: mac })).valid, true, type);
    }
  });

  test('batch', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const single = await hmacOf(harness, 'hmac/aes', { input: b64('one') });

    const results = dataOf(await harness.send('update', 'hmac/aes', { batch_input: [{ input: b64('one'), reference: 'x' }, { input: '!' }, {}] })).batch_results;
    const verified = dataOf(
      await harness.send('update', 'verify/aes', { batch_input: [{ input: b64('one'), hmac: single }, { input: b64('two'), hmac: single }] }),
    ).batch_results;

    assert.deepEqual(results, [
      { hmac: single, reference: 'x' },
      { error: 'invalid field "input": illegal base64 character at offset 0', reference: '' },
      { error: 'missing input for HMAC', reference: '' },
    ]);
    assert.deepEqual(verified, [
      { valid: true, reference: '' },
      { valid: false, reference: '' },
    ]);
  });

  test('invalid requests', async () => {
    const harness = createHarness();
    await createKey(harness, 'aes');
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['hmac/aes', {}, 'missing field "input": give the base64-encoded data'],
      ['hmac/aes', { input: '***' }, 'invalid field "input": illegal base64 character at offset 0'],
      [
        'hmac/aes/md5',
        { input: b64('x') },
        'invalid field "urlalgorithm": unsupported algorithm "md5": use one of sha2-224, sha2-256, sha2-384, sha2-512, sha3-224, sha3-256, sha3-384, sha3-512',
      ],
      [
        'hmac/aes',
        { input: b64('x'), algorithm: 'sha1' },
        'invalid field "algorithm": unsupported algorithm "sha1": use one of sha2-224, sha2-256, sha2-384, sha2-512, sha3-224, sha3-256, sha3-384, sha3-512',
      ],
      ['hmac/aes', { input: b64('x'), key_version: 2 }, 'invalid field "key_version": 2 is higher than the latest key version 1'],
      ['hmac/none', { input: b64('x') }, 'encryption key "none" not found'],
      ['verify/aes', { input: b64('x'), hmac: 'vault:v1:@@' }, 'invalid field "hmac": the HMAC is not base64: illegal base64 character at offset 0'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });
});
