import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejects, createHarness, dataOf, generateRoot, rawOf } from './test-support.js';

describe('fetch', () => {
  test('raw paths without a ca return 204', async () => {
    const harness = createHarness();

    for (const path of ['ca', 'ca/pem', 'ca_chain', 'crl', 'crl/pem']) {
      const response = rawOf(await harness.send('read', path));
      assert.equal(response.status, 204, path);
      assert.equal(response.body.length, 0, path);
    }
  });

  test('json paths without a ca find nothing', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'cert/ca'), null);
    assert.equal(await harness.send('read', 'cert/ca_chain'), null);
    assert.equal(await harness.send('read', 'cert/crl'), null);
    assert.equal(await harness.send('list', 'certs'), null);
  });

  test('content types and bodies', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness);
    const pem = String(root.certificate);

    const ca = rawOf(await harness.send('read', 'ca'));
    const caPem = rawOf(await harness.send('read', 'ca/pem'));
    const chain = rawOf(await harness.send('read', 'ca_chain'));
    const crl = rawOf(await harness.send('read', 'crl/pem'));

    assert.equal(ca.contentType, 'application/pkix-cert');
    assert.equal(ca.body[0], 0x30);
    assert.equal(caPem.contentType, 'application/pem-certificate-chain');
    assert.equal(caPem.body.toString(), `${pem}\n`);
    assert.equal(chain.body.toString(), `${pem}\n`);
    assert.equal(crl.contentType, 'application/x-pem-file');
    assert.match(crl.body.toString(), /^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
    assert.deepEqual(dataOf(await harness.send('read', 'cert/ca_chain')), { certificate: pem, ca_chain: pem, revocation_time: 0 });
  });

  test('serial forms and bad serials', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness);
    const serial = String(root.serial_number);

    const upper = dataOf(await harness.send('read', `cert/${serial.toUpperCase().replace(/:/g, '-')}`));

    assert.equal(upper.certificate, root.certificate);
    assert.equal(upper.revocation_time, 0);
    assert.equal(await harness.send('read', 'cert/01:02'), null);
    await assertRejects(harness.send('read', 'cert/xyz'), 400, 'invalid field "serial": "xyz" is not a serial number: use hex byte pairs separated by colons or hyphens');
  });
});
