import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf, withOpenssl } from './test-support.js';

/** Returns `pem` as an encrypted PKCS #8 key, as `openssl genpkey -aes256` writes one. */
function encryptedKey(pem: string): string {
  return String(createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }));
}

describe('config/ca', () => {
  test('imported bundle issues verifiable certificates', async () => {
    const source = createHarness();
    const exported = dataOf(await source.send('update', 'root/generate/exported', { common_name: 'Imported Root', key_type: 'ec', ttl: '8760h' }));
    const harness = createHarness();

    assert.equal(await harness.send('update', 'config/ca', { pem_bundle: `${String(exported.private_key)}\n${String(exported.certificate)}` }), null);
    await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });
    const leaf = dataOf(await harness.send('update', 'issue/web', { common_name: 'svc.example.com' }));

    assert.equal(dataOf(await harness.send('read', 'cert/ca')).certificate, exported.certificate);
    await withOpenssl(async (tools) => {
      const rootPath = await tools.file('root.pem', String(exported.certificate));
      const leafPath = await tools.file('leaf.pem', String(leaf.certificate));
      const result = await tools.openssl(['verify', '-CAfile', rootPath, leafPath]);
      assert.equal(result.code, 0, result.stderr);
    });
  });

  test('openssl ca bundle imports', async () => {
    await withOpenssl(async (tools) => {
      const generated = await tools.openssl([
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=OpenSSL CA', '-days', '30',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      const key = await tools.openssl(['pkey', '-in', 'ca.key']);
      const cert = await tools.openssl(['x509', '-in', 'ca.pem']);
      const harness = createHarness();

      await harness.send('update', 'config/ca', { pem_bundle: `${cert.stdout}${key.stdout}` });

      const ca = dataOf(await harness.send('read', 'cert/ca'));
      assert.equal(String(ca.certificate).trim(), cert.stdout.trim());
      await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec', max_ttl: '24h' });
      const leaf = dataOf(await harness.send('update', 'issue/web', { common_name: 'svc.example.com' }));
      const leafPath = await tools.file('leaf.pem', String(leaf.certificate));
      const verified = await tools.openssl(['verify', '-CAfile', 'ca.pem', leafPath]);
      assert.equal(verified.code, 0, verified.stderr);
    });
  });

  test('a CA key usage without keyCertSign is rejected', async () => {
    await withOpenssl(async (tools) => {
      const generated = await tools.openssl([
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=No Signing CA', '-days', '30',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,cRLSign',
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      const key = await tools.openssl(['pkey', '-in', 'ca.key']);
      const cert = await tools.openssl(['x509', '-in', 'ca.pem']);
      const harness = createHarness();

      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'config/ca', { pem_bundle: `${cert.stdout}${key.stdout}` }),
        'invalid field "pem_bundle": the given CA certificate has a key usage extension without certificate signing (keyCertSign), so certificates it signs would not verify',
      );
    });
  });

  test('a CA key usage without cRLSign is rejected', async () => {
    await withOpenssl(async (tools) => {
      const generated = await tools.openssl([
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=No CRL CA', '-days', '30',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyCertSign',
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      const key = await tools.openssl(['pkey', '-in', 'ca.key']);
      const cert = await tools.openssl(['x509', '-in', 'ca.pem']);
      const harness = createHarness();

      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'config/ca', { pem_bundle: `${cert.stdout}${key.stdout}` }),
        'invalid field "pem_bundle": the given CA certificate has a key usage extension without CRL signing (cRLSign), so the CRLs it signs would not verify',
      );
    });
  });

  test('invalid bundles are rejected', async () => {
    const source = createHarness();
    const exported = dataOf(await source.send('update', 'root/generate/exported', { common_name: 'Root', key_type: 'ec', ttl: '8760h' }));
    const other = dataOf(await createHarness().send('update', 'root/generate/exported', { common_name: 'Other', key_type: 'ec' }));
    await source.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });
    const leaf = dataOf(await source.send('update', 'issue/web', { common_name: 'leaf.example.com' }));
    const harness = createHarness();
    const cases: [string, string][] = [
      [String(exported.certificate), 'invalid field "pem_bundle": the bundle has no private key: config/ca needs the CA certificate and its private key'],
      [`${String(exported.private_key)}\n${String(other.private_key)}\n${String(exported.certificate)}`, 'invalid field "pem_bundle": the bundle has 2 private keys: give exactly one, the CA\'s'],
      [`${String(other.private_key)}\n${String(exported.certificate)}`, 'invalid field "pem_bundle": no certificate in the bundle matches the private key'],
      [`${String(leaf.private_key)}\n${String(leaf.certificate)}`, 'invalid field "pem_bundle": the given certificate is not marked for CA use and cannot be used with this backend'],
      ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 'invalid field "pem_bundle": the private key cannot be parsed'],
      [
        `${String(exported.certificate)}\n${encryptedKey(String(exported.private_key))}`,
        'invalid field "pem_bundle": the private key is encrypted: decrypt it first, for example with openssl pkey, and give it unencrypted',
      ],
    ];

    for (const [pem, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config/ca', { pem_bundle: pem }), message);
    }
  });
});
