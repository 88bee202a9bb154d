import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { parseAuthorizedKey } from './ssh-keys.js';
import { SshReader } from './ssh-wire.js';
import {
  assertRejectedUnchanged,
  configureCa,
  createHarness,
  createWorkdir,
  dataOf,
  describeCertificate,
  parseListing,
  run,
  type Harness,
  type Workdir,
} from './test-support.js';

let workdir: Workdir;
before(async () => {
  workdir = await createWorkdir();
});
after(async () => {
  await workdir.close();
});

async function setup(role: Record<string, unknown> = {}): Promise<Harness> {
  const harness = createHarness();
  await configureCa(harness);
  await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', default_user: 'alice', ...role });
  return harness;
}

/** Returns the key type named at the start of a certificate line's blob. */
function certifiedKeyType(line: string): string {
  const blob = Buffer.from(line.split(' ')[1]!, 'base64');
  return new SshReader(blob).text();
}

describe('issue', () => {
  test('each key type', async () => {
    const harness = await setup();
    const cases: Array<[Record<string, unknown>, string, string, RegExp]> = [
      [{}, 'ssh-rsa', 'rsa', /^-----BEGIN RSA PRIVATE KEY-----\n/],
      [{ key_type: 'rsa', key_bits: 3072 }, 'ssh-rsa', 'rsa', /^-----BEGIN RSA PRIVATE KEY-----\n/],
      [{ key_type: 'ec' }, 'ecdsa-sha2-nistp256', 'ec', /^-----BEGIN EC PRIVATE KEY-----\n/],
      [{ key_type: 'ec', key_bits: 521 }, 'ecdsa-sha2-nistp521', 'ec', /^-----BEGIN EC PRIVATE KEY-----\n/],
      [{ key_type: 'ed25519' }, 'ssh-ed25519', 'ed25519', /^-----BEGIN OPENSSH PRIVATE KEY-----\n/],
    ];

    for (const [body, type, privateKeyType, pem] of cases) {
      const data = dataOf(await harness.send('update', 'issue/dev', body));
      const label = JSON.stringify(body);

      assert.deepEqual(Object.keys(data).sort(), ['private_key', 'private_key_type', 'serial_number', 'signed_key'], label);
      assert.equal(data.private_key_type, privateKeyType, label);
      assert.match(String(data.private_key), pem, label);
      assert.equal(certifiedKeyType(String(data.signed_key)), `${type}-cert-v01@openssh.com`, label);

      const keyFile = workdir.file('issued');
      await writeFile(keyFile, String(data.private_key), { mode: 0o600 });
      const { stdout: publicKey } = await run('ssh-keygen', ['-y', '-f', keyFile]);
      const listing = parseListing(await describeCertificate(workdir, 'issued-cert.pub', String(data.signed_key)));
      const { stdout: keyFingerprint } = await run('ssh-keygen', ['-l', '-f', keyFile]);
      assert.equal(parseAuthorizedKey(publicKey).type, type, label);
      assert.equal(listing.fields['Public key']!.split(' ')[1], keyFingerprint.split(' ')[1], label);
      assert.deepEqual(listing.principals, ['alice'], label);
    }
  });

  test('role checks apply', async () => {
    const harness = await setup({ allowed_user_key_lengths: { ed25519: 0 } });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['issue/missing', {}, 'unknown role: missing'],
      ['issue/dev', { key_type: 'dsa' }, 'invalid field "key_type": unknown key type "dsa": use one of rsa, ec, ed25519'],
      ['issue/dev', { key_type: 'rsa', key_bits: 1024 }, 'invalid field "key_bits": rsa keys take 2048, 3072 or 4096 (0 for 2048), got 1024'],
      ['issue/dev', { key_type: 'ec', key_bits: 192 }, 'invalid field "key_bits": ec keys take 256, 384 or 521 (0 for 256), got 192'],
      ['issue/dev', { key_type: 'rsa' }, 'public_key failed to meet the key requirements: key of type rsa is not allowed'],
      ['issue/dev', { key_type: 'ed25519', valid_principals: 'root' }, 'root is not a valid value for valid_principals'],
      ['issue/dev', { key_type: 'ed25519', public_key: 'ssh-ed25519 AAAA' }, 'unknown field "public_key"'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });
});
