import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';
import { assertRejectedUnchanged, assertRejects, createHarness, dataOf } from './test-support.js';

let certs: TestCertificates;

before(async () => {
  certs = await makeTestCertificates();
});
after(async () => {
  await certs.close();
});

describe('crls/:name', () => {
  test('write and read serials', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('update', 'crls/Corp', { crl: certs.crl }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'crls/corp')), { serials: { [certs.revokedSerial]: {} } });
    assert.deepEqual(dataOf(await harness.send('list', 'crls/')), { keys: ['corp'] });
  });

  test('delete removes the CRL', async () => {
    const harness = createHarness();
    await harness.send('update', 'crls/corp', { crl: certs.crl });

    assert.equal(await harness.send('delete', 'crls/corp'), null);

    assert.equal(await harness.send('list', 'crls/'), null);
    await assertRejects(harness.send('read', 'crls/corp'), 400, 'no such CRL corp');
  });

  test('unknown CRL read and delete', async () => {
    const harness = createHarness();
    await assertRejects(harness.send('read', 'crls/none'), 400, 'no such CRL none');
    await assertRejectedUnchanged(harness, () => harness.send('delete', 'crls/none'), 400, 'no such CRL none');
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['missing crl', {}, 'missing "crl": set a PEM-encoded CRL for "corp"'],
    ['certificate instead of CRL', { crl: 'CA' }, 'invalid "crl": failed to parse CRL: no PEM block of type "X509 CRL" found'],
    ['url', { url: 'http://127.0.0.1/crl' }, 'unknown field "url"'],
  ];
  for (const [name, body, message] of invalid) {
    test(`rejects ${name}`, async () => {
      const harness = createHarness();
      await harness.send('update', 'crls/corp', { crl: certs.crl });
      const resolved = body.crl === 'CA' ? { crl: certs.ca.cert } : body;

      await assertRejectedUnchanged(harness, () => harness.send('update', 'crls/corp', resolved), 400, message);
    });
  }

  test('rejects a corrupt CRL block', async () => {
    const harness = createHarness();
    const corrupt = `-----BEGIN X509 CRL-----\n${Buffer.from('not a crl').toString('base64')}\n-----END X509 CRL-----\n`;

    await assert.rejects(harness.send('update', 'crls/corp', { crl: corrupt }), (err: Error & { status?: number }) => {
      assert.equal(err.status, 400);
      assert.match(err.message, /^invalid "crl": failed to parse CRL: /);
      return true;
    });
    assert.equal(await harness.send('list', 'crls/'), null);
  });
});
