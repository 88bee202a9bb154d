import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPrivateKey } from 'node:crypto';
import { x509 } from './x509.js';
import {
  assertRejectedUnchanged,
  certificateText,
  createHarness,
  dataOf,
  DEFAULT_TTL,
  generateRoot,
  rawOf,
  withOpenssl,
} from './test-support.js';

describe('root/generate', () => {
  test('internal ec root reads back through ca paths', async () => {
    const harness = createHarness();

    const root = await generateRoot(harness, { common_name: 'example.com', organization: 'Example Inc', country: 'DE', ttl: '24h' });

    assert.equal(root.private_key, undefined);
    assert.equal(root.private_key_type, undefined);
    assert.equal(root.issuing_ca, root.certificate);
    assert.match(String(root.serial_number), /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    const certificate = new x509.X509Certificate(String(root.certificate));
    assert.equal(root.expiration, Math.floor(certificate.notAfter.getTime() / 1000));
    assert.equal(certificate.subject, 'C=DE, O=Example Inc, CN=example.com');
    assert.equal(certificate.issuer, certificate.subject);
    assert.equal(rawOf(await harness.send('read', 'ca/pem')).body.toString(), `${String(root.certificate)}\n`);
    assert.deepEqual(rawOf(await harness.send('read', 'ca')).body, Buffer.from(certificate.rawData));
    assert.equal(dataOf(await harness.send('read', 'cert/ca')).certificate, root.certificate);
    assert.equal(dataOf(await harness.send('read', `cert/${String(root.serial_number)}`)).certificate, root.certificate);
  });

  test('certificate extensions per openssl', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness, {
      common_name: 'root.example.com',
      alt_names: 'alt.example.com,admin@example.com',
      ip_sans: '10.0.0.1',
      uri_sans: 'spiffe://example/root',
      max_path_length: 2,
    });

    const text = await certificateText(String(root.certificate));

    assert.match(text, /CA:TRUE, pathlen:2/);
    assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    assert.match(text, /DNS:root\.example\.com, DNS:alt\.example\.com, email:admin@example\.com, IP Address:10\.0\.0\.1, URI:spiffe:\/\/example\/root/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /X509v3 Subject Key Identifier/);
  });

  test('exclude_cn_from_sans leaves cn out', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness, { common_name: 'root.example.com', exclude_cn_from_sans: true, alt_names: 'other.example.com' });

    const text = await certificateText(String(root.certificate));

    assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:other\.example\.com\n/);
  });

  test('exported rsa root returns a matching pkcs1 key', async () => {
    const harness = createHarness();

    const root = dataOf(await harness.send('update', 'root/generate/exported', { common_name: 'Root RSA', key_type: 'rsa', key_bits: 2048 }));

    assert.equal(root.private_key_type, 'rsa');
    assert.match(String(root.private_key), /^-----BEGIN RSA PRIVATE KEY-----\n/);
    const certificate = new x509.X509Certificate(String(root.certificate));
    const key = createPrivateKey(String(root.private_key));
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    await withOpenssl(async (tools) => {
      const certPath = await tools.file('root.pem', String(root.certificate));
      const keyPath = await tools.file('root.key', String(root.private_key));
      const fromCert = await tools.openssl(['x509', '-noout', '-pubkey', '-in', certPath]);
      const fromKey = await tools.openssl(['pkey', '-pubout', '-in', keyPath]);
      assert.equal(fromCert.stdout, fromKey.stdout);
    });
    assert.match(await certificateText(certificate.toString('pem')), /Signature Algorithm: sha256WithRSAEncryption/);
  });

  test('exported ed25519 root with pkcs8 der', async () => {
    const harness = createHarness();

    const root = dataOf(await harness.send('update', 'root/generate/exported', { common_name: 'Root Ed', key_type: 'ed25519', format: 'der', private_key_format: 'pkcs8' }));

    assert.equal(root.private_key_type, 'ed25519');
    const key = createPrivateKey({ key: Buffer.from(String(root.private_key), 'base64'), format: 'der', type: 'pkcs8' });
    assert.equal(key.asymmetricKeyType, 'ed25519');
    const certificate = new x509.X509Certificate(Buffer.from(String(root.certificate), 'base64'));
    assert.equal(await certificate.verify({ signatureOnly: true }), true);
  });

  test('ttl defaults to the mount default', async () => {
    const harness = createHarness();
    const before = Date.now();

    const root = dataOf(await harness.send('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec' }));

    const lifetime = Number(root.expiration) - Math.floor(before / 1000);
    assert.ok(lifetime >= DEFAULT_TTL - 5, `lifetime ${lifetime}`);
    assert.ok(lifetime <= DEFAULT_TTL + 5, `lifetime ${lifetime}`);
  });

  test('ttl past the maximum is capped with a warning', async () => {
    const harness = createHarness();

    const response = await harness.send('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec', ttl: '100000h' });

    assert.deepEqual(response?.warnings, ['TTL "360000000s" is longer than permitted maxTTL "315360000s", so using maxTTL']);
  });

  test('existing ca is kept with a warning', async () => {
    const harness = createHarness();
    const first = await generateRoot(harness);
    const before = await harness.snapshot();

    const second = await harness.send('update', 'root/generate/internal', { common_name: 'Other', key_type: 'ec' });

    assert.equal(second?.data, undefined);
    assert.deepEqual(second?.warnings, [
      'refusing to generate a root certificate over an existing root certificate; to replace it, delete the current one with a DELETE of pki/root first',
    ]);
    assert.deepEqual(await harness.snapshot(), before);
    assert.equal(dataOf(await harness.send('read', 'cert/ca')).certificate, first.certificate);
  });

  test('invalid input is rejected', async () => {
    const harness = createHarness();
    const cases: [string, Record<string, unknown>, string][] = [
      ['root/generate/kms', { common_name: 'x' }, 'invalid field "type": unsupported type "kms": use internal or exported; existing keys and managed keys are not supported'],
      ['root/generate/internal', {}, 'missing field "common_name": a CA certificate needs a common name'],
      ['root/generate/internal', { common_name: 'x', key_type: 'dsa' }, 'invalid field "key_type": unknown key type "dsa": use rsa, ec or ed25519'],
      ['root/generate/internal', { common_name: 'x', key_type: 'rsa', key_bits: 1024 }, 'invalid field "key_bits": unsupported bit length 1024 for an rsa key: use 2048, 3072, 4096 or 8192'],
      ['root/generate/internal', { common_name: 'x', key_type: 'ec', key_bits: 224 }, 'invalid field "key_bits": unsupported bit length 224 for an ec key: use 256, 384 or 521'],
      ['root/generate/internal', { common_name: 'x', ip_sans: '10.0.0.300' }, 'invalid field "ip_sans": the value "10.0.0.300" is not a valid IP address'],
      ['root/generate/internal', { common_name: 'x', uri_sans: 'not a uri' }, 'invalid field "uri_sans": the value "not a uri" is not a valid URI'],
      ['root/generate/internal', { common_name: 'x', max_path_length: -2 }, 'invalid field "max_path_length": -2 is below -1: use -1 for no limit, or 0 and up'],
      ['root/generate/internal', { common_name: 'x', format: 'p12' }, 'invalid field "format": must be one of "pem", "der", "pem_bundle"'],
      ['root/generate/internal', { common_name: 'x', ttl: 'soon' }, 'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      ['root/generate/internal', { common_name: 'x', signature_bits: 128 }, 'invalid field "signature_bits": unsupported hash size 128: use 256, 384 or 512'],
      ['root/generate/internal', { common_name: 'x', issuer_name: 'a' }, 'unknown field "issuer_name"'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
    assert.equal((await harness.snapshot()).size, 0);
  });
});

describe('root delete', () => {
  test('removes the ca and the crl, keeps issued certificates', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness);

    assert.equal(await harness.send('delete', 'root'), null);

    assert.equal(await harness.send('read', 'cert/ca'), null);
    assert.equal(rawOf(await harness.send('read', 'ca/pem')).status, 204);
    assert.equal(rawOf(await harness.send('read', 'crl')).status, 204);
    assert.equal(dataOf(await harness.send('read', `cert/${String(root.serial_number)}`)).certificate, root.certificate);
    const again = await generateRoot(harness, { common_name: 'Second Root' });
    assert.notEqual(again.serial_number, root.serial_number);
  });

  test('root path needs sudo', () => {
    const harness = createHarness();

    assert.deepEqual(harness.backend.specialPaths().root, ['root']);
  });
});
