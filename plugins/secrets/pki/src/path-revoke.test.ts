import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageView } from '@coffer/sdk';
import { x509 } from './x509.js';
import { assertRejectedUnchanged, createHarness, dataOf, generateRoot, ManualClock, rawOf, withOpenssl, type Harness } from './test-support.js';

async function setUp(): Promise<{ harness: Harness; root: Record<string, unknown> }> {
  const harness = createHarness();
  const root = await generateRoot(harness);
  await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });
  return { harness, root };
}

async function issue(harness: Harness, name: string): Promise<Record<string, unknown>> {
  return dataOf(await harness.send('update', 'issue/web', { common_name: name, ttl: '1h' }));
}

describe('revoke', () => {
  test('revoked serial appears in the crl per openssl', async () => {
    const { harness, root } = await setUp();
    const revoked = await issue(harness, 'revoked.example.com');
    const active = await issue(harness, 'active.example.com');

    const response = dataOf(await harness.send('update', 'revoke', { serial_number: String(revoked.serial_number).replace(/:/g, '-') }));

    assert.equal(response.state, 'revoked');
    assert.equal(typeof response.revocation_time, 'number');
    assert.equal(response.revocation_time_rfc3339, new Date(Number(response.revocation_time) * 1000).toISOString());
    const crlPem = rawOf(await harness.send('read', 'crl/pem')).body.toString();
    assert.match(crlPem, /^-----BEGIN X509 CRL-----\n/);
    await withOpenssl(async (tools) => {
      const rootPath = await tools.file('root.pem', String(root.certificate));
      const crlPath = await tools.file('crl.pem', crlPem);
      const text = await tools.openssl(['crl', '-noout', '-text', '-in', crlPath]);
      assert.equal(text.code, 0, text.stderr);
      const hexSerial = String(revoked.serial_number).replace(/:/g, '').toUpperCase();
      assert.match(text.stdout, new RegExp(`Serial Number: ${hexSerial}\\n`));
      assert.doesNotMatch(text.stdout, new RegExp(String(active.serial_number).replace(/:/g, '').toUpperCase()));
      assert.match(text.stdout, /X509v3 CRL Number: \n\s+2\n/);
      const signature = await tools.openssl(['crl', '-noout', '-in', crlPath, '-CAfile', rootPath]);
      assert.match(signature.stderr + signature.stdout, /verify OK/);

      const revokedPath = await tools.file('revoked.pem', String(revoked.certificate));
      const activePath = await tools.file('active.pem', String(active.certificate));
      const rejected = await tools.openssl(['verify', '-crl_check', '-CAfile', rootPath, '-CRLfile', crlPath, revokedPath]);
      assert.notEqual(rejected.code, 0);
      assert.match(rejected.stdout + rejected.stderr, /certificate revoked/);
      const accepted = await tools.openssl(['verify', '-crl_check', '-CAfile', rootPath, '-CRLfile', crlPath, activePath]);
      assert.equal(accepted.code, 0, accepted.stderr);
    });
  });

  test('cert read reports the revocation', async () => {
    const { harness } = await setUp();
    const issued = await issue(harness, 'a.example.com');
    const before = dataOf(await harness.send('read', `cert/${String(issued.serial_number)}`));

    const revocation = dataOf(await harness.send('update', 'revoke', { serial_number: issued.serial_number }));
    const again = dataOf(await harness.send('update', 'revoke', { serial_number: issued.serial_number }));

    assert.equal(before.revocation_time, 0);
    assert.equal(dataOf(await harness.send('read', `cert/${String(issued.serial_number)}`)).revocation_time, revocation.revocation_time);
    assert.deepEqual(again, revocation);
  });

  test('crl der, pem and json agree', async () => {
    const { harness } = await setUp();

    const der = rawOf(await harness.send('read', 'crl'));
    const pem = rawOf(await harness.send('read', 'crl/pem'));
    const json = dataOf(await harness.send('read', 'cert/crl'));

    assert.equal(der.contentType, 'application/pkix-crl');
    assert.equal(`${String(json.certificate)}\n`, pem.body.toString());
    const crl = new x509.X509Crl(der.body);
    assert.equal(crl.entries.length, 0);
    assert.equal(crl.issuer, 'CN=Example Root');
  });

  test('rejections store nothing', async () => {
    const { harness, root } = await setUp();
    const cases: [Record<string, unknown>, string][] = [
      [{ serial_number: '01:02:03' }, 'certificate with serial 01:02:03 not found'],
      [{ serial_number: 'zz' }, 'invalid field "serial_number": "zz" is not a serial number: use hex byte pairs separated by colons or hyphens'],
      [{}, 'missing required field "serial_number"'],
      [{ serial_number: root.serial_number }, `adding the CA certificate (serial ${String(root.serial_number)}) to its own CRL is not allowed`],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'revoke', body), message);
    }
  });

  test('expired certificate is not added', async () => {
    const clock = new ManualClock();
    const harness = createHarness('pki/', clock);
    await generateRoot(harness);
    await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });
    const issued = await issue(harness, 'old.example.com');
    clock.advance(7200);
    const before = await harness.snapshot();

    const response = await harness.send('update', 'revoke', { serial_number: issued.serial_number });

    assert.deepEqual(response?.warnings, [`certificate with serial ${String(issued.serial_number)} has already expired; refusing to add it to the CRL`]);
    assert.deepEqual(await harness.snapshot(), before);
  });
});

describe('certificate leases', () => {
  test('lease ending at expiry adds nothing', async () => {
    const clock = new ManualClock();
    const harness = createHarness('pki/', clock);
    await generateRoot(harness);
    await harness.send('create', 'roles/leased', { allow_any_name: true, key_type: 'ec', generate_lease: true });
    const issued = await harness.send('update', 'issue/leased', { common_name: 'leased.example.com', ttl: '1h' });
    const secret = issued?.secret;
    assert.ok(secret !== undefined, 'expected a lease');
    assert.equal(secret.renewable, false);

    // Lease TTLs are whole seconds, so the lease ends up to a second before the certificate does.
    clock.advance(secret.ttl);
    const before = await harness.snapshot();
    const revoked = await harness.backend.handleRequest({
      id: 'req-0002',
      operation: 'revoke',
      path: 'issue/leased',
      data: {},
      storage: new StorageView(harness.storage, 'logical/0a1b2c3d/'),
      mountPoint: 'pki/',
      mountType: 'pki',
      clientToken: 'salted-token',
      headers: {},
      secret: { leaseId: 'pki/issue/leased/1', internalData: secret.internalData, ttl: secret.ttl, issueTime: new Date().toISOString(), increment: 0 },
    });

    assert.equal(revoked, null);
    assert.deepEqual(await harness.snapshot(), before, 'no revocation record and no new CRL');
  });
});

describe('crl/rotate', () => {
  test('signs a crl with the next number', async () => {
    const { harness } = await setUp();
    const first = new x509.X509Crl(rawOf(await harness.send('read', 'crl')).body);

    assert.deepEqual(dataOf(await harness.send('read', 'crl/rotate')), { success: true });

    const second = new x509.X509Crl(rawOf(await harness.send('read', 'crl')).body);
    const number = (crl: x509.X509Crl) => Buffer.from(crl.getExtension('2.5.29.20')?.value ?? new ArrayBuffer(0)).toString('hex');
    assert.equal(number(first), '020101');
    assert.equal(number(second), '020102');
  });

  test('without a ca', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'crl/rotate'),
      'no CA is configured for this mount: generate a root, set a signed intermediate, or import one through config/ca',
    );
  });
});

describe('periodic crl refresh', () => {
  test('rebuilds only past half the validity', async () => {
    const clock = new ManualClock();
    const harness = createHarness('pki/', clock);
    await generateRoot(harness);
    const number = async () => Buffer.from(new x509.X509Crl(rawOf(await harness.send('read', 'crl')).body).getExtension('2.5.29.20')?.value ?? new ArrayBuffer(0)).toString('hex');

    clock.advance(35 * 3600);
    await harness.backend.periodic();
    const early = await number();
    clock.advance(2 * 3600);
    await harness.backend.periodic();

    assert.equal(early, '020101');
    assert.equal(await number(), '020102');
    const crl = new x509.X509Crl(rawOf(await harness.send('read', 'crl')).body);
    assert.equal(crl.thisUpdate.getTime(), Math.floor(clock.now().getTime() / 1000) * 1000);
  });

  test('does nothing without a ca', async () => {
    const harness = createHarness();

    await harness.backend.periodic();

    assert.equal((await harness.snapshot()).size, 0);
  });
});
