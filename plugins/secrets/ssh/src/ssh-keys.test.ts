import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { generateSshKeyPair, openSshEd25519PrivateKey, parsePrivateKey, privateKeyPem } from './private-keys.js';
import { authorizedKeyLine, fingerprintSha256, parseAuthorizedKey, parsePublicKeyBlob } from './ssh-keys.js';
import { SshFormatError, SshReader, SshWriter } from './ssh-wire.js';
import { createWorkdir, fingerprintOf, run, sshKeygen, type Workdir } from './test-support.js';

const KEYGEN_TYPES: Array<[string, number | undefined, string, number]> = [
  // ssh-keygen -t, -b, SSH key type, bits
  ['ed25519', undefined, 'ssh-ed25519', 256],
  ['rsa', 2048, 'ssh-rsa', 2048],
  ['ecdsa', 256, 'ecdsa-sha2-nistp256', 256],
  ['ecdsa', 384, 'ecdsa-sha2-nistp384', 384],
  ['ecdsa', 521, 'ecdsa-sha2-nistp521', 521],
];

let workdir: Workdir;
before(async () => {
  workdir = await createWorkdir();
});
after(async () => {
  await workdir.close();
});

describe('ssh wire encoding', () => {
  test('mpint pads a set top bit', () => {
    const bytes = new SshWriter().mpint(Buffer.from([0x00, 0x80, 0x01])).mpint(Buffer.from([0x7f])).mpint(Buffer.alloc(0)).toBuffer();

    assert.equal(bytes.toString('hex'), '00000003008001' + '000000017f' + '00000000');
    const reader = new SshReader(bytes);
    assert.equal(reader.mpint().toString('hex'), '8001');
    assert.equal(reader.mpint().toString('hex'), '7f');
    assert.equal(reader.mpint().length, 0);
    assert.equal(reader.atEnd(), true);
  });

  test('reader rejects truncated input', () => {
    const reader = new SshReader(Buffer.from('0000000561', 'hex'));

    assert.throws(() => reader.string(), { name: 'Error', message: 'data ends before the last field' });
  });
});

describe('public keys', () => {
  test('ssh-keygen keys parse and re-encode', async () => {
    for (const [flag, bits, type, expectedBits] of KEYGEN_TYPES) {
      const name = `${flag}-${bits ?? 0}`;
      const { publicKey } = await sshKeygen(workdir, name, flag, bits);

      const parsed = parseAuthorizedKey(publicKey);

      assert.equal(parsed.type, type, name);
      assert.equal(parsed.bits, expectedBits, name);
      assert.equal(authorizedKeyLine(parsed.type, parsed.blob), `${publicKey.split(' ').slice(0, 2).join(' ')}\n`, name);
      assert.equal(fingerprintSha256(parsed.blob), await fingerprintOf(workdir, `${name}.fp.pub`, publicKey), name);
    }
  });

  test('malformed keys are rejected', () => {
    const rsaBlob = (exponent: number[]) => new SshWriter().string('ssh-rsa').mpint(Buffer.from(exponent)).mpint(Buffer.alloc(256, 0xff)).toBuffer();
    const ed25519Blob = new SshWriter().string('ssh-ed25519').string(Buffer.alloc(32, 1)).toBuffer();
    const cases: Array<[string, string]> = [
      ['', 'expected "<key type> <base64 key> [comment]"'],
      ['ssh-ed25519', 'expected "<key type> <base64 key> [comment]"'],
      ['ssh-ed25519 !!!', 'the key is not valid base64'],
      [`ssh-rsa ${ed25519Blob.toString('base64')}`, 'the key type "ssh-rsa" does not match the encoded key of type "ssh-ed25519"'],
      [`ssh-ed25519 ${ed25519Blob.subarray(0, 20).toString('base64')}`, 'data ends before the last field'],
      [`ssh-rsa ${rsaBlob([1]).toString('base64')}`, 'RSA public exponent 1 is not allowed: use an odd exponent of at least 3, such as 65537'],
      [`ssh-rsa ${rsaBlob([0x01, 0, 0, 0x01]).toString('base64')}`, 'RSA public exponent is longer than 24 bits: use 65537'],
      [`ssh-rsa ${rsaBlob([0x01, 0x00, 0x00]).toString('base64')}`, 'RSA public exponent 65536 is not allowed: use an odd exponent of at least 3, such as 65537'],
      [`ssh-dss ${new SshWriter().string('ssh-dss').toBuffer().toString('base64')}`, 'unsupported key type "ssh-dss": use one of ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseAuthorizedKey(text), (err: unknown) => err instanceof SshFormatError && err.message === message, text);
    }
  });

  test('trailing bytes are rejected', () => {
    const blob = new SshWriter().string('ssh-ed25519').string(Buffer.alloc(32, 1)).string('x').toBuffer();

    assert.throws(() => parsePublicKeyBlob(blob), { message: '5 unexpected trailing bytes' });
  });
});

describe('private keys', () => {
  test('ssh-keygen private keys parse', async () => {
    for (const [flag, bits] of KEYGEN_TYPES) {
      const name = `priv-${flag}-${bits ?? 0}`;
      const { keyFile, publicKey } = await sshKeygen(workdir, name, flag, bits);

      const pair = parsePrivateKey(await readFile(keyFile, 'utf8'));

      assert.deepEqual(pair.publicKey.blob, parseAuthorizedKey(publicKey).blob, name);
    }
  });

  test('written keys load in ssh-keygen', async () => {
    for (const type of ['ssh-ed25519', 'ecdsa-sha2-nistp384', 'ssh-rsa'] as const) {
      const pair = await generateSshKeyPair({ type, rsaBits: 2048 });
      const file = workdir.file(`written-${type}`);
      await writeFile(file, privateKeyPem(pair.privateKey), { mode: 0o600 });

      const { stdout } = await run('ssh-keygen', ['-y', '-f', file]);

      assert.equal(stdout, authorizedKeyLine(pair.publicKey.type, pair.publicKey.blob), type);
    }
  });

  test('openssh ed25519 form round-trips', async () => {
    const pair = await generateSshKeyPair({ type: 'ssh-ed25519', rsaBits: 0 });

    const text = openSshEd25519PrivateKey(pair.privateKey, 'a comment');

    assert.match(text, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
    assert.deepEqual(parsePrivateKey(text).publicKey.blob, pair.publicKey.blob);
  });

  test('encrypted keys are rejected', async () => {
    const keyFile = workdir.file('encrypted');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret passphrase', '-f', keyFile]);

    assert.throws(() => parsePrivateKey(''), { message: 'expected a PEM (PKCS#1, SEC1 or PKCS#8) or OpenSSH private key' });
    const encrypted = await readFile(keyFile, 'utf8');
    assert.throws(() => parsePrivateKey(encrypted), { message: 'the key is encrypted: provide it without a passphrase' });
  });
});

