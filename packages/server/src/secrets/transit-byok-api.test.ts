/**
 * Transit key import (BYOK) through a real dev server. Key material wrapped
 * by the `openssl` command for the mount's wrapping key imports over HTTP.
 * The imported keys encrypt and sign as the original keys do, and an
 * imported key serves a second server's transit auto-unseal.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const run = promisify(execFile);

const ROOT = 'root-transit-byok-test-token';

/** Runs `openssl` in `directory` and returns its stdout; rejects with its stderr in the message when it fails. */
async function openssl(directory: string, args: string[]): Promise<string> {
  const { stdout } = await run('openssl', args, { cwd: directory });
  return stdout;
}

/**
 * Wraps `material` for import with the openssl command line only: `openssl
 * rand` makes the ephemeral AES key, `openssl enc -id-aes256-wrap-pad` wraps
 * the material, `openssl pkeyutl` encrypts the AES key with RSA-OAEP SHA-256.
 */
async function wrapWithOpenssl(directory: string, wrappingKeyPem: string, material: Buffer): Promise<string> {
  await writeFile(join(directory, 'wrapping.pem'), wrappingKeyPem);
  await writeFile(join(directory, 'target.bin'), material);
  const ephemeralHex = (await openssl(directory, ['rand', '-hex', '32'])).trim();
  await openssl(directory, ['enc', '-id-aes256-wrap-pad', '-K', ephemeralHex, '-iv', 'A65959A6', '-in', 'target.bin', '-out', 'wrapped.bin']);
  await writeFile(join(directory, 'ephemeral.bin'), Buffer.from(ephemeralHex, 'hex'));
  await openssl(directory, [
    'pkeyutl', '-encrypt', '-pubin', '-inkey', 'wrapping.pem', '-in', 'ephemeral.bin', '-out', 'ephemeral.enc',
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
  ]);
  await rm(join(directory, 'ephemeral.bin'));
  return Buffer.concat([await readFile(join(directory, 'ephemeral.enc')), await readFile(join(directory, 'wrapped.bin'))]).toString('base64');
}

/** Decrypts a `vault:v<N>:` AES-256-GCM ciphertext (nonce, ciphertext, tag) with a raw key. */
function decryptWithRawKey(ciphertext: string, key: Buffer): string {
  const raw = Buffer.from(ciphertext.replace(/^vault:v\d+:/, ''), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString();
}

async function waitUntilUnsealed(server: RunningServer, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await api(server, 'GET', 'sys/seal-status')).body.sealed === false) return;
    await delay(50);
  }
  assert.fail('timed out waiting for auto-unseal');
}

describe('transit key import over HTTP', () => {
  let server: RunningServer;
  let directory: string;
  let wrappingKey: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-transit-byok-'));
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'POST', 'sys/mounts/transit', { token: ROOT, body: { type: 'transit' } })).status, 204);
    const read = await api(server, 'GET', 'transit/wrapping_key', { token: ROOT });
    assert.equal(read.status, 200);
    wrappingKey = read.body.data.public_key as string;
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('wrapping key is a stable RSA-4096 key', async () => {
    const again = await api(server, 'GET', 'transit/wrapping_key', { token: ROOT });

    assert.equal(again.status, 200);
    assert.deepEqual(Object.keys(again.body.data), ['public_key']);
    assert.equal(again.body.data.public_key, wrappingKey);
    assert.equal(createPublicKey(wrappingKey).asymmetricKeyDetails?.modulusLength, 4096);
  });

  test('aes256-gcm96 key imports and encrypts', async () => {
    const raw = randomBytes(32);
    const ciphertext = await wrapWithOpenssl(directory, wrappingKey, raw);

    const imported = await api(server, 'POST', 'transit/keys/byok/import', { token: ROOT, body: { ciphertext } });
    assert.equal(imported.status, 204);

    const key = await api(server, 'GET', 'transit/keys/byok', { token: ROOT });
    assert.equal(key.status, 200);
    assert.equal(key.body.data.imported_key, true);
    assert.equal(key.body.data.imported_key_allow_rotation, false);
    assert.equal(key.body.data.type, 'aes256-gcm96');
    const encrypted = await api(server, 'POST', 'transit/encrypt/byok', { token: ROOT, body: { plaintext: Buffer.from('over http').toString('base64') } });
    assert.equal(encrypted.status, 200);
    assert.equal(decryptWithRawKey(encrypted.body.data.ciphertext as string, raw), 'over http');

    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', raw, nonce);
    const body = Buffer.concat([cipher.update('made outside'), cipher.final()]);
    const outside = `vault:v1:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
    const decrypted = await api(server, 'POST', 'transit/decrypt/byok', { token: ROOT, body: { ciphertext: outside } });
    assert.equal(decrypted.status, 200);
    assert.equal(Buffer.from(decrypted.body.data.plaintext as string, 'base64').toString(), 'made outside');
  });

  test('ecdsa-p256 key imports and signs', async () => {
    await openssl(directory, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pem']);
    await openssl(directory, ['pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pem', '-outform', 'DER', '-out', 'ec.der']);
    const publicPem = await openssl(directory, ['pkey', '-in', 'ec.pem', '-pubout']);
    const ciphertext = await wrapWithOpenssl(directory, wrappingKey, await readFile(join(directory, 'ec.der')));

    const imported = await api(server, 'POST', 'transit/keys/byok-ec/import', { token: ROOT, body: { ciphertext, type: 'ecdsa-p256' } });
    assert.equal(imported.status, 204);

    const signed = await api(server, 'POST', 'transit/sign/byok-ec', { token: ROOT, body: { input: Buffer.from('signed over http').toString('base64') } });
    assert.equal(signed.status, 200);
    const signature = Buffer.from((signed.body.data.signature as string).replace(/^vault:v1:/, ''), 'base64');
    await writeFile(join(directory, 'ec.pub'), publicPem);
    await writeFile(join(directory, 'message'), 'signed over http');
    await writeFile(join(directory, 'signature'), signature);
    assert.equal((await openssl(directory, ['dgst', '-sha256', '-verify', 'ec.pub', '-signature', 'signature', 'message'])).trim(), 'Verified OK');
    assert.equal(verify('sha256', Buffer.from('signed over http'), publicPem, signature), true);
  });

  test('rotation, import_version and errors', async () => {
    const raw = randomBytes(32);
    assert.equal((await api(server, 'POST', 'transit/keys/fixed/import', { token: ROOT, body: { ciphertext: await wrapWithOpenssl(directory, wrappingKey, raw) } })).status, 204);

    const rotate = await api(server, 'POST', 'transit/keys/fixed/rotate', { token: ROOT });
    assert.equal(rotate.status, 400);
    assert.deepEqual(rotate.body, { errors: ['imported key fixed does not allow rotation within Vault'] });

    const second = randomBytes(32);
    const added = await api(server, 'POST', 'transit/keys/fixed/import_version', { token: ROOT, body: { ciphertext: await wrapWithOpenssl(directory, wrappingKey, second) } });
    assert.equal(added.status, 204);
    const key = await api(server, 'GET', 'transit/keys/fixed', { token: ROOT });
    assert.equal(key.body.data.latest_version, 2);
    const encrypted = await api(server, 'POST', 'transit/encrypt/fixed', { token: ROOT, body: { plaintext: Buffer.from('v2').toString('base64') } });
    assert.equal(decryptWithRawKey(encrypted.body.data.ciphertext as string, second), 'v2');

    const existing = await api(server, 'POST', 'transit/keys/fixed/import', { token: ROOT, body: { ciphertext: await wrapWithOpenssl(directory, wrappingKey, raw) } });
    assert.equal(existing.status, 400);
    assert.deepEqual(existing.body, { errors: ['the import path cannot be used with an existing key; use import-version to rotate an existing imported key'] });

    const badBase64 = await api(server, 'POST', 'transit/keys/other/import', { token: ROOT, body: { ciphertext: 'abc!' } });
    assert.equal(badBase64.status, 400);
    assert.deepEqual(badBase64.body, { errors: ['invalid field "ciphertext": illegal base64 character at offset 3'] });

    assert.equal((await api(server, 'POST', 'transit/keys/native', { token: ROOT })).status, 200);
    const native = await api(server, 'POST', 'transit/keys/native/import_version', { token: ROOT, body: { ciphertext: await wrapWithOpenssl(directory, wrappingKey, raw) } });
    assert.equal(native.status, 400);
    assert.deepEqual(native.body, { errors: ['the import_version endpoint can only be used with an imported key'] });
    assert.equal((await api(server, 'GET', 'transit/keys/other', { token: ROOT })).status, 404);
  });

  test('imported key seals another server', async () => {
    assert.equal((await api(server, 'POST', 'transit/keys/unseal/import', { token: ROOT, body: { ciphertext: await wrapWithOpenssl(directory, wrappingKey, randomBytes(32)) } })).status, 204);
    const config = join(directory, 'sealed.hcl');
    await writeFile(
      config,
      [
        `storage "file" {\n  path = "${join(directory, 'sealed-storage')}"\n}`,
        `seal "transit" {\n  address = "${server.address}"\n  token = "${ROOT}"\n  key_name = "unseal"\n  mount_path = "transit/"\n}`,
        'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}',
      ].join('\n'),
    );
    const silent = { write: () => true };
    const retry = { initialMs: 50, maxMs: 200 };

    let sealed = await startServer({ configPaths: [config], logDestination: silent, autoUnsealRetry: retry });
    try {
      const init = await api(sealed, 'PUT', 'sys/init', { body: { recovery_shares: 1, recovery_threshold: 1 } });
      assert.equal(init.status, 200);
      const rootToken = init.body.root_token as string;
      await waitUntilUnsealed(sealed);
      assert.equal((await api(sealed, 'POST', 'sys/mounts/kv', { token: rootToken, body: { type: 'kv' } })).status, 204);
      assert.equal((await api(sealed, 'PUT', 'kv/db', { token: rootToken, body: { user: 'app' } })).status, 204);
      await sealed.close();

      sealed = await startServer({ configPaths: [config], logDestination: silent, autoUnsealRetry: retry });
      await waitUntilUnsealed(sealed);

      const read = await api(sealed, 'GET', 'kv/db', { token: rootToken });
      assert.equal(read.status, 200);
      assert.equal(read.body.data.user, 'app');
    } finally {
      await sealed.close();
    }
  });
});
