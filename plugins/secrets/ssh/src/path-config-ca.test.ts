import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { CA_PRIVATE_KEY_PATH, CA_PUBLIC_KEY_PATH } from './ca-store.js';
import { parsePrivateKey } from './private-keys.js';
import { parseAuthorizedKey } from './ssh-keys.js';
import {
  assertRejectedUnchanged,
  assertRejects,
  configureCa,
  createHarness,
  createWorkdir,
  dataOf,
  MOUNT_PREFIX,
  sshKeygen,
  type Workdir,
} from './test-support.js';

let workdir: Workdir;
before(async () => {
  workdir = await createWorkdir();
});
after(async () => {
  await workdir.close();
});

/** Returns the stored `{"key": ...}` text of a CA half. */
async function storedKey(harness: ReturnType<typeof createHarness>, path: string): Promise<string | undefined> {
  const entry = await harness.storage.get(`${MOUNT_PREFIX}${path}`);
  return entry === null ? undefined : (JSON.parse(entry.value.toString('utf8')) as { key: string }).key;
}

describe('config/ca', () => {
  test('generates each key type', async () => {
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ key_type: 'ssh-ed25519' }, 'ssh-ed25519', 256],
      [{ key_type: 'ed25519' }, 'ssh-ed25519', 256],
      [{ key_type: 'ecdsa-sha2-nistp384' }, 'ecdsa-sha2-nistp384', 384],
      [{ key_type: 'ec' }, 'ecdsa-sha2-nistp256', 256],
      [{ key_type: 'ec', key_bits: 521 }, 'ecdsa-sha2-nistp521', 521],
      [{ key_type: 'rsa', key_bits: 2048 }, 'ssh-rsa', 2048],
      [{ generate_signing_key: true, key_type: 'ssh-rsa', key_bits: 2048 }, 'ssh-rsa', 2048],
    ];
    for (const [settings, type, bits] of cases) {
      const harness = createHarness();

      const publicKey = await configureCa(harness, settings);

      const parsed = parseAuthorizedKey(publicKey);
      assert.equal(parsed.type, type, JSON.stringify(settings));
      assert.equal(parsed.bits, bits, JSON.stringify(settings));
      assert.match(publicKey, /^[a-z0-9-]+ [A-Za-z0-9+/=]+\n$/);
      assert.equal(await storedKey(harness, CA_PUBLIC_KEY_PATH), publicKey);
      const privateKey = await storedKey(harness, CA_PRIVATE_KEY_PATH);
      assert.deepEqual(parsePrivateKey(String(privateKey)).publicKey.blob, parsed.blob);
    }
  });

  test('default is rsa 4096', async () => {
    const harness = createHarness();

    const publicKey = await configureCa(harness, {});

    assert.equal(parseAuthorizedKey(publicKey).type, 'ssh-rsa');
    assert.equal(parseAuthorizedKey(publicKey).bits, 4096);
    assert.match(String(await storedKey(harness, CA_PRIVATE_KEY_PATH)), /^-----BEGIN RSA PRIVATE KEY-----\n/);
  });

  test('read returns the public key', async () => {
    const harness = createHarness();
    const publicKey = await configureCa(harness);

    assert.deepEqual(dataOf(await harness.send('read', 'config/ca')), { public_key: publicKey });
  });

  test('read before configuration', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('read', 'config/ca'), 400, "keys haven't been configured yet");
  });

  test('public_key is raw text', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('read', 'public_key'), null);
    const publicKey = await configureCa(harness);

    const response = await harness.send('read', 'public_key');

    assert.deepEqual(response, { raw: { status: 200, contentType: 'text/plain', body: publicKey } });
  });

  test('public_key needs no token', () => {
    const harness = createHarness();

    assert.deepEqual(harness.backend.specialPaths(), { root: [], unauthenticated: ['public_key'] });
  });

  test('submitted ssh-keygen keys', async () => {
    for (const [flag, bits] of [['ed25519', undefined], ['rsa', 2048], ['ecdsa', 256]] as const) {
      const harness = createHarness();
      const { keyFile, publicKey } = await sshKeygen(workdir, `submitted-${flag}`, flag, bits);
      const privateKey = await readFile(keyFile, 'utf8');

      const response = await harness.send('update', 'config/ca', { private_key: privateKey, public_key: publicKey });

      assert.equal(response, null, flag);
      const expected = `${publicKey.split(' ').slice(0, 2).join(' ')}\n`;
      assert.deepEqual(dataOf(await harness.send('read', 'config/ca')), { public_key: expected }, flag);
      assert.equal(await storedKey(harness, CA_PRIVATE_KEY_PATH), privateKey, flag);
    }
  });

  test('delete removes both halves', async () => {
    const harness = createHarness();
    await configureCa(harness);

    assert.equal(await harness.send('delete', 'config/ca'), null);

    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}${CA_PUBLIC_KEY_PATH}`), null);
    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}${CA_PRIVATE_KEY_PATH}`), null);
    const again = await configureCa(harness);
    assert.equal(parseAuthorizedKey(again).type, 'ssh-ed25519');
  });

  test('second configuration is rejected', async () => {
    const harness = createHarness();
    await configureCa(harness);

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/ca', { key_type: 'ssh-ed25519' }),
      'keys are already configured; delete them before reconfiguring',
    );
  });

  test('invalid input is rejected', async () => {
    const harness = createHarness();
    const first = await sshKeygen(workdir, 'pair-a', 'ed25519');
    const second = await sshKeygen(workdir, 'pair-b', 'ed25519');
    const privateKey = await readFile(first.keyFile, 'utf8');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ key_type: 'dsa' }, 'invalid field "key_type": unknown key type "dsa": use one of ssh-rsa, rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ec, ssh-ed25519, ed25519'],
      [{ key_type: 'rsa', key_bits: 1024 }, 'invalid field "key_bits": refusing to generate weak rsa key: 1024 bits < 2048 bits'],
      [{ key_type: 'ssh-rsa', key_bits: 16384 }, 'invalid field "key_bits": 16384 bits is more than the maximum of 8192'],
      [{ key_type: 'ec', key_bits: 512 }, 'invalid field "key_bits": key_type "ec" takes 256, 384 or 521 (0 for 256), got 512'],
      [{ key_bits: 'big' }, 'invalid field "key_bits": expected an integer, got "big"'],
      [{ generate_signing_key: true, public_key: first.publicKey }, 'public_key and private_key must not be set when generate_signing_key is set to true'],
      [{ generate_signing_key: false }, 'missing public_key'],
      [{ generate_signing_key: false, public_key: first.publicKey }, 'missing private_key'],
      [{ public_key: first.publicKey }, 'only one of public_key and private_key set; both must be set to use, or both must be blank to auto-generate'],
      [{ private_key: privateKey }, 'only one of public_key and private_key set; both must be set to use, or both must be blank to auto-generate'],
      [{ private_key: 'not a key', public_key: first.publicKey }, 'unable to parse private_key as an SSH private key: expected a PEM (PKCS#1, SEC1 or PKCS#8) or OpenSSH private key'],
      [{ private_key: privateKey, public_key: 'ssh-ed25519' }, 'unable to parse public_key as an SSH public key: expected "<key type> <base64 key> [comment]"'],
      [{ private_key: privateKey, public_key: second.publicKey }, 'public_key does not match private_key: submit the two halves of one key pair'],
      [{ colour: 'red' }, 'unknown field "colour"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config/ca', body), message);
    }
    assert.equal((await harness.snapshot()).size, 0);
  });
});
