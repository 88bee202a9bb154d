import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { x509 } from './x509.js';
import { certificateText, createHarness, dataOf, generateRoot } from './test-support.js';

async function intermediateCsr(): Promise<string> {
  const csr = dataOf(await createHarness('pki-int/').send('update', 'intermediate/generate/internal', { common_name: 'Int', key_type: 'ec' }));
  return String(csr.csr);
}

describe('root/sign-intermediate', () => {
  test('name constraints, path length and subject fields', async () => {
    const harness = createHarness();
    await generateRoot(harness);

    const signed = dataOf(await harness.send('update', 'root/sign-intermediate', {
      csr: await intermediateCsr(),
      common_name: 'Constrained Int',
      organization: 'Example',
      permitted_dns_domains: 'example.com',
      max_path_length: 0,
      ttl: '24h',
    }));

    const text = await certificateText(String(signed.certificate));
    assert.match(text, /Subject: O = Example, CN = Constrained Int\n/);
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:example\.com/);
    assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
  });

  test('no path length without a limit above', async () => {
    const harness = createHarness();
    await generateRoot(harness);

    const signed = dataOf(await harness.send('update', 'root/sign-intermediate', { csr: await intermediateCsr(), common_name: 'Int' }));

    assert.match(await certificateText(String(signed.certificate)), /CA:TRUE\n/);
  });

  test('der and pem_bundle formats', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness);
    const csr = await intermediateCsr();

    const der = dataOf(await harness.send('update', 'root/sign-intermediate', { csr, common_name: 'Int', format: 'der' }));
    const bundle = dataOf(await harness.send('update', 'root/sign-intermediate', { csr, common_name: 'Int', format: 'pem_bundle' }));

    assert.equal(new x509.X509Certificate(Buffer.from(String(der.certificate), 'base64')).subject, 'CN=Int');
    assert.equal(der.issuing_ca, Buffer.from(new x509.X509Certificate(String(root.certificate)).rawData).toString('base64'));
    assert.equal(String(bundle.certificate).match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
    assert.ok(String(bundle.certificate).endsWith(String(root.certificate)));
  });
});
