import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPrivateKey } from 'node:crypto';
import { x509 } from './x509.js';
import { assertRejectedUnchanged, certificateText, createHarness, dataOf, generateRoot, rawOf, withOpenssl, type Harness } from './test-support.js';

/** Creates a root mount and an intermediate mount whose CA the root signed. */
async function twoMountChain(rootSettings: Record<string, unknown> = {}) {
  const rootMount = createHarness('pki-root/');
  const intMount = createHarness('pki-int/');
  const root = await generateRoot(rootMount, rootSettings);
  const csr = dataOf(await intMount.send('update', 'intermediate/generate/internal', { common_name: 'Example Intermediate', key_type: 'ec', organization: 'Example' }));
  const signed = dataOf(await rootMount.send('update', 'root/sign-intermediate', { csr: csr.csr, common_name: 'Example Intermediate', organization: 'Example', ttl: '8760h' }));
  return { rootMount, intMount, root, csr, signed };
}

async function setSigned(intMount: Harness, signed: Record<string, unknown>): Promise<void> {
  assert.equal(await intMount.send('update', 'intermediate/set-signed', { certificate: `${String(signed.certificate)}\n${String(signed.issuing_ca)}` }), null);
}

describe('intermediate', () => {
  test('two-mount chain verifies with openssl', async () => {
    const { rootMount, intMount, root, signed } = await twoMountChain({ max_path_length: 2 });
    await setSigned(intMount, signed);
    await intMount.send('create', 'roles/web', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec' });

    const leaf = dataOf(await intMount.send('update', 'issue/web', { common_name: 'www.example.com', ttl: '1h' }));

    assert.deepEqual(leaf.ca_chain, [signed.certificate, root.certificate]);
    assert.equal(leaf.issuing_ca, signed.certificate);
    assert.deepEqual(dataOf(await rootMount.send('list', 'certs')).keys, [root.serial_number, signed.serial_number].sort());
    await withOpenssl(async (tools) => {
      const rootPath = await tools.file('root.pem', String(root.certificate));
      const intPath = await tools.file('int.pem', String(signed.certificate));
      const leafPath = await tools.file('leaf.pem', String(leaf.certificate));
      const result = await tools.openssl(['verify', '-CAfile', rootPath, '-untrusted', intPath, leafPath]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /leaf\.pem: OK/);
      const withoutIntermediate = await tools.openssl(['verify', '-CAfile', rootPath, leafPath]);
      assert.notEqual(withoutIntermediate.code, 0);
    });
    const text = await certificateText(String(signed.certificate));
    assert.match(text, /CA:TRUE, pathlen:1/);
    assert.match(text, /Subject: O = Example, CN = Example Intermediate\n/);
    const chain = rawOf(await intMount.send('read', 'ca_chain')).body.toString();
    assert.equal(chain, `${String(signed.certificate)}\n${String(root.certificate)}\n`);
  });

  test('exported csr carries the key and requested names', async () => {
    const harness = createHarness();

    const csr = dataOf(await harness.send('update', 'intermediate/generate/exported', {
      common_name: 'int.example.com',
      alt_names: 'other.example.com',
      key_type: 'rsa',
      add_basic_constraints: true,
    }));

    assert.equal(csr.private_key_type, 'rsa');
    assert.equal(createPrivateKey(String(csr.private_key)).asymmetricKeyType, 'rsa');
    await withOpenssl(async (tools) => {
      const path = await tools.file('int.csr', String(csr.csr));
      const result = await tools.openssl(['req', '-noout', '-text', '-verify', '-in', path]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Subject: CN = int\.example\.com\n/);
      assert.match(result.stdout, /DNS:int\.example\.com, DNS:other\.example\.com/);
      assert.match(result.stdout, /CA:TRUE/);
      assert.match(result.stderr + result.stdout, /verify OK/);
    });
  });

  test('path length 0 cannot sign intermediates', async () => {
    const { intMount, signed } = await twoMountChain({ max_path_length: 1 });
    await setSigned(intMount, signed);
    const third = createHarness('pki-third/');
    const csr = dataOf(await third.send('update', 'intermediate/generate/internal', { common_name: 'Third', key_type: 'ec' }));

    await assertRejectedUnchanged(
      intMount,
      () => intMount.send('update', 'root/sign-intermediate', { csr: csr.csr, common_name: 'Third' }),
      'signing certificate has a max path length of 0, and cannot issue further CA certificates',
    );
  });

  test('use_csr_values copies the csr subject', async () => {
    const rootMount = createHarness();
    await generateRoot(rootMount);
    const intMount = createHarness('pki-int/');
    const csr = dataOf(await intMount.send('update', 'intermediate/generate/internal', { common_name: 'From CSR', country: 'SE', key_type: 'ed25519' }));

    const signed = dataOf(await rootMount.send('update', 'root/sign-intermediate', { csr: csr.csr, use_csr_values: true }));

    assert.equal(new x509.X509Certificate(String(signed.certificate)).subject, 'C=SE, CN=From CSR');
  });

  test('set-signed rejections leave storage unchanged', async () => {
    const { rootMount, intMount, signed } = await twoMountChain();
    const otherMount = createHarness('pki-other/');
    const otherCsr = dataOf(await otherMount.send('update', 'intermediate/generate/internal', { common_name: 'Other', key_type: 'ec' }));
    const otherSigned = dataOf(await rootMount.send('update', 'root/sign-intermediate', { csr: otherCsr.csr, common_name: 'Other' }));
    await rootMount.send('create', 'roles/leaf', { allow_any_name: true, key_type: 'ec' });
    const leaf = dataOf(await rootMount.send('update', 'issue/leaf', { common_name: 'leaf.example.com' }));
    const cases: [Record<string, unknown>, string][] = [
      [{ certificate: otherSigned.certificate }, 'invalid field "certificate": the public key of the certificate does not match the pending intermediate key'],
      [{ certificate: leaf.certificate }, 'invalid field "certificate": the given certificate is not marked for CA use and cannot be used with this backend'],
      [{ certificate: 'garbage' }, 'invalid field "certificate": no PEM block "CERTIFICATE" found'],
      [{}, 'missing required field "certificate"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(intMount, () => intMount.send('update', 'intermediate/set-signed', body), message);
    }
    await assertRejectedUnchanged(
      createHarness(),
      () => createHarness().send('update', 'intermediate/set-signed', { certificate: signed.certificate }),
      'no pending intermediate key: generate a CSR with intermediate/generate first',
    );
  });

  test('sign-intermediate input checks', async () => {
    const rootMount = createHarness();
    await generateRoot(rootMount);
    const csr = dataOf(await createHarness().send('update', 'intermediate/generate/internal', { common_name: 'Int', key_type: 'ec' }));
    const cases: [Record<string, unknown>, string][] = [
      [{ csr: csr.csr }, 'missing field "common_name": give the intermediate\'s common name, or set use_csr_values to take the CSR\'s subject'],
      [{ common_name: 'Int' }, 'missing required field "csr"'],
      [{ csr: csr.csr, common_name: 'Int', max_path_length: -5 }, 'invalid field "max_path_length": -5 is below -1: use -1 for no limit, or 0 and up'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(rootMount, () => rootMount.send('update', 'root/sign-intermediate', body), message);
    }
    const before = await rootMount.snapshot();
    await assert.rejects(
      rootMount.send('update', 'root/sign-intermediate', { csr: csr.csr, common_name: 'Int', ttl: '100000h' }),
      /^CofferError: cannot satisfy request, as TTL would result in notAfter of \S+ that is beyond the expiration of the CA certificate at \S+$/,
    );
    assert.deepEqual(await rootMount.snapshot(), before);
  });
});
