import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';
import { assertRejects, createHarness, renewingLoginOf, type Harness } from './test-support.js';
import { NO_MATCH } from './path-login.js';

let certs: TestCertificates;

before(async () => {
  certs = await makeTestCertificates();
});
after(async () => {
  await certs.close();
});

/** Creates a harness that trusts the CA as entry `web` with `fields`. */
async function trustingCa(fields: Record<string, unknown> = {}): Promise<Harness> {
  const harness = createHarness();
  await harness.send('update', 'certs/web', { certificate: certs.ca.cert, token_policies: 'web-read', token_ttl: '20m', token_max_ttl: '1h', ...fields });
  return harness;
}

describe('cert login', () => {
  test('valid client gets Vault auth', async () => {
    const harness = await trustingCa();

    const response = await harness.login([certs.client.cert]);

    const auth = response?.auth;
    assert.ok(auth !== undefined);
    assert.deepEqual(auth.policies, ['web-read']);
    assert.equal(auth.ttl, 1200);
    assert.equal(auth.maxTtl, 3600);
    assert.equal(auth.displayName, 'web');
    assert.deepEqual(auth.alias, { name: 'client.example.com' });
    const metadata = auth.metadata ?? {};
    assert.deepEqual(Object.keys(metadata).sort(), ['authority_key_id', 'cert_name', 'common_name', 'serial_number', 'subject_key_id']);
    assert.equal(metadata.cert_name, 'web');
    assert.equal(metadata.common_name, 'client.example.com');
    assert.equal(metadata.serial_number, '4096');
    assert.match(metadata.subject_key_id, /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
    assert.match(metadata.authority_key_id, /^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/);
    assert.equal(auth.internalData?.subject_key_id, Buffer.from(metadata.subject_key_id.replaceAll(':', ''), 'hex').toString('base64'));
  });

  test('plain HTTP is rejected', async () => {
    const harness = await trustingCa();
    await assertRejects(harness.login(), 400, 'tls connection required');
  });

  test('TLS without certificate is rejected', async () => {
    const harness = await trustingCa();
    await assertRejects(harness.login([]), 400, 'client certificate must be supplied');
  });

  test('unknown CA is rejected', async () => {
    const harness = await trustingCa();
    await assertRejects(harness.login([certs.unknownClient.cert]), 400, NO_MATCH);
  });

  test('unknown CA in presented chain is not trusted', async () => {
    const harness = await trustingCa();
    await assertRejects(harness.login([certs.unknownClient.cert, certs.unknownCa.cert]), 400, NO_MATCH);
  });

  test('expired certificate is rejected', async () => {
    const harness = await trustingCa();
    const message = /^failed to verify client's certificate: certificate has expired or is not yet valid: current time \S+ is after 2020-01-02T00:00:00\.000Z$/;
    await assert.rejects(harness.login([certs.expired.cert]), (err: Error & { status?: number }) => {
      assert.match(err.message, message);
      assert.equal(err.status, 400);
      return true;
    });
  });

  test('certificate not yet valid is rejected', async () => {
    const harness = createHarness(() => new Date('2020-06-01T00:00:00Z'));
    await harness.send('update', 'certs/web', { certificate: certs.ca.cert });
    await assert.rejects(harness.login([certs.client.cert]), { message: /^failed to verify client's certificate: certificate has expired or is not yet valid: current time 2020-06-01T00:00:00\.000Z is before / });
  });

  test('revoked certificate is rejected', async () => {
    const harness = await trustingCa();
    assert.ok((await harness.login([certs.revoked.cert]))?.auth !== undefined, 'revoked certificate logs in before the CRL is stored');

    await harness.send('update', 'crls/ca', { crl: certs.crl });

    await assertRejects(harness.login([certs.revoked.cert]), 400, NO_MATCH);
    assert.ok((await harness.login([certs.client.cert]))?.auth !== undefined, 'an unrevoked certificate still logs in');
  });

  test('deleted CRL no longer rejects', async () => {
    const harness = await trustingCa();
    await harness.send('update', 'crls/ca', { crl: certs.crl });
    await assertRejects(harness.login([certs.revoked.cert]), 400, NO_MATCH);

    await harness.send('delete', 'crls/ca');

    assert.ok((await harness.login([certs.revoked.cert]))?.auth !== undefined);
  });

  test('common name constraint', async () => {
    const allowed = await trustingCa({ allowed_common_names: 'client.*' });
    const denied = await trustingCa({ allowed_common_names: 'admin.*' });

    assert.ok((await allowed.login([certs.client.cert]))?.auth !== undefined);
    await assertRejects(denied.login([certs.client.cert]), 400, NO_MATCH);
  });

  test('DNS SAN constraint', async () => {
    const allowed = await trustingCa({ allowed_dns_sans: '*.example.com' });
    const denied = await trustingCa({ allowed_dns_sans: 'client.example.org' });

    assert.ok((await allowed.login([certs.client.cert]))?.auth !== undefined);
    await assertRejects(denied.login([certs.client.cert]), 400, NO_MATCH);
  });

  test('email, URI and OU constraints', async () => {
    const allowed = await trustingCa({ allowed_email_sans: 'ops@*', allowed_uri_sans: 'spiffe://example.com/*', allowed_organizational_units: 'ops' });
    const wrongEmail = await trustingCa({ allowed_email_sans: 'dev@*' });
    const wrongUri = await trustingCa({ allowed_uri_sans: 'spiffe://other/*' });
    const wrongUnit = await trustingCa({ allowed_organizational_units: 'dev' });

    assert.ok((await allowed.login([certs.client.cert]))?.auth !== undefined);
    await assertRejects(wrongEmail.login([certs.client.cert]), 400, NO_MATCH);
    await assertRejects(wrongUri.login([certs.client.cert]), 400, NO_MATCH);
    await assertRejects(wrongUnit.login([certs.client.cert]), 400, NO_MATCH);
  });

  test('allowed_names matches CN or SANs', async () => {
    const harness = await trustingCa({ allowed_names: 'ops@example.com' });

    assert.ok((await harness.login([certs.client.cert]))?.auth !== undefined);
    await assertRejects(harness.login([certs.other.cert]), 400, NO_MATCH);
  });

  test('required extension', async () => {
    const harness = await trustingCa({ required_extensions: '1.2.3.4.5:prod-*' });
    const hex = await trustingCa({ required_extensions: `hex:1.2.3.4.5:${Buffer.from('\x0c\x0bprod-client').toString('hex').toUpperCase()}` });

    assert.ok((await harness.login([certs.client.cert]))?.auth !== undefined);
    assert.ok((await hex.login([certs.client.cert]))?.auth !== undefined);
    await assertRejects(harness.login([certs.other.cert]), 400, NO_MATCH);
  });

  test('metadata extensions', async () => {
    const harness = await trustingCa({ allowed_metadata_extensions: '1.2.3.4.5,1.2.3.9' });
    const auth = (await harness.login([certs.client.cert]))?.auth;
    assert.equal(auth?.metadata?.['1-2-3-4-5'], 'prod-client');
    assert.equal(auth?.metadata?.['1-2-3-9'], undefined);
  });

  test('chain through intermediate', async () => {
    const harness = await trustingCa();

    const response = await harness.login([certs.intermediateClient.cert, certs.intermediate.cert]);

    assert.equal(response?.auth?.alias?.name, 'deep.example.com');
    await assertRejects(harness.login([certs.intermediateClient.cert]), 400, NO_MATCH);
  });

  test('entry trusting the intermediate', async () => {
    const harness = createHarness();
    await harness.send('update', 'certs/deep', { certificate: certs.intermediate.cert });

    assert.equal((await harness.login([certs.intermediateClient.cert, certs.intermediate.cert]))?.auth?.metadata?.cert_name, 'deep');
    await assertRejects(harness.login([certs.client.cert]), 400, NO_MATCH);
  });

  test('path length constraint is enforced', async () => {
    const harness = await trustingCa();
    const chain = [certs.tooDeepClient.cert, certs.tooDeep.cert, certs.intermediate.cert];

    await assertRejects(harness.login(chain), 400, NO_MATCH);
    await harness.send('update', 'certs/deepest', { certificate: certs.tooDeep.cert });
    assert.equal((await harness.login(chain))?.auth?.metadata?.cert_name, 'deepest', 'the chain below the constrained CA is valid');
  });

  test('intermediate in entry accepts bare leaf', async () => {
    // A resumed TLS session carries only the leaf, so the entry supplies the intermediate.
    const harness = createHarness();
    await harness.send('update', 'certs/web', { certificate: `${certs.ca.cert}${certs.intermediate.cert}` });

    assert.equal((await harness.login([certs.intermediateClient.cert]))?.auth?.alias?.name, 'deep.example.com');
  });

  test('server-only key usage is rejected', async () => {
    const harness = await trustingCa();
    await assertRejects(harness.login([certs.serverOnly.cert]), 400, "failed to verify client's certificate: certificate specifies an incompatible key usage");
  });

  test('unparseable certificate is rejected', async () => {
    const harness = await trustingCa();
    const garbage = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a certificate').toString('base64')}\n-----END CERTIFICATE-----`;
    await assertRejects(harness.login([garbage]), 400, "failed to verify client's certificate: failed to parse the client certificate");
  });

  test('self-signed client trusted by itself', async () => {
    const harness = createHarness();
    await harness.send('update', 'certs/self', { certificate: certs.selfSigned.cert });

    assert.equal((await harness.login([certs.selfSigned.cert]))?.auth?.alias?.name, 'self.example.com');
    await assertRejects(harness.login([certs.client.cert]), 400, NO_MATCH);
  });

  test('name picks one entry', async () => {
    const harness = await trustingCa();
    await harness.send('update', 'certs/self', { certificate: certs.selfSigned.cert });

    assert.equal((await harness.login([certs.client.cert], { name: 'WEB' }))?.auth?.metadata?.cert_name, 'web');
    await assertRejects(harness.login([certs.client.cert], { name: 'self' }), 400, NO_MATCH);
    await assertRejects(harness.login([certs.client.cert], { name: 'missing' }), 400, NO_MATCH);
  });

  test('first matching entry wins', async () => {
    const harness = await trustingCa({ allowed_common_names: 'nobody' });
    await harness.send('update', 'certs/web2', { certificate: certs.ca.cert, allowed_common_names: 'client.example.com' });

    assert.equal((await harness.login([certs.client.cert]))?.auth?.metadata?.cert_name, 'web2');
  });

  test('certificate without common name', async () => {
    const harness = await trustingCa();
    await assertRejects(harness.login([certs.noCommonName.cert]), 400, 'the client certificate has no subject common name, which the login needs as its alias name');
  });

  test('bound CIDRs reject other addresses', async () => {
    const harness = await trustingCa({ token_bound_cidrs: '127.0.0.0/8' });

    assert.deepEqual((await harness.login([certs.client.cert], {}, '127.0.0.1'))?.auth?.boundCidrs, ['127.0.0.0/8']);
    await assertRejects(harness.login([certs.client.cert], {}, '10.0.0.1'), 403, 'permission denied');
  });

  test('alias metadata when configured', async () => {
    const harness = await trustingCa();
    await harness.send('update', 'config', { enable_identity_alias_metadata: true });

    const auth = (await harness.login([certs.client.cert]))?.auth;

    assert.equal(auth?.alias?.metadata?.cert_name, 'web');
    assert.equal(auth?.alias?.metadata?.common_name, 'client.example.com');
  });
});

describe('cert renewal', () => {
  test('same certificate renews with current TTLs', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));
    await harness.send('update', 'certs/web', { token_ttl: '30m' });

    const renewed = await harness.renew(login, [certs.client.cert]);

    assert.deepEqual(renewed?.auth, { policies: ['web-read'], ttl: 1800, maxTtl: 3600, period: 0 });
  });

  test('other certificate is rejected', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));

    await assertRejects(harness.renew(login, [certs.other.cert]), 400, 'client identity during renewal not matching client identity used during login');
  });

  test('renewal over plain HTTP is rejected', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));

    await assertRejects(harness.renew(login), 400, 'tls connection required');
  });

  test('revoked since login is rejected', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.revoked.cert]));
    await harness.send('update', 'crls/ca', { crl: certs.crl });

    await assertRejects(harness.renew(login, [certs.revoked.cert]), 400, NO_MATCH);
  });

  test('disable_binding skips the certificate', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));
    await harness.send('update', 'config', { disable_binding: true });

    assert.equal((await harness.renew(login))?.auth?.ttl, 1200);
  });

  test('deleted entry is not renewed', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));
    await harness.send('update', 'config', { disable_binding: true });
    await harness.send('delete', 'certs/web');

    await assertRejects(harness.renew(login), 400, 'certificate entry "web" no longer exists, not renewing');
  });

  test('deleted entry fails certificate check', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));
    await harness.send('delete', 'certs/web');

    await assertRejects(harness.renew(login, [certs.client.cert]), 400, NO_MATCH);
  });

  test('changed policies are not renewed', async () => {
    const harness = await trustingCa();
    const login = renewingLoginOf(await harness.login([certs.client.cert]));
    await harness.send('update', 'certs/web', { token_policies: 'admin' });

    await assertRejects(harness.renew(login, [certs.client.cert]), 400, 'policies have changed, not renewing');
  });
});
