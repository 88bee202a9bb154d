import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';
import { assertRejectedUnchanged, createHarness, dataOf } from './test-support.js';

let certs: TestCertificates;

before(async () => {
  certs = await makeTestCertificates();
});
after(async () => {
  await certs.close();
});

describe('certs/:name', () => {
  test('create and read', async () => {
    const harness = createHarness();

    const created = await harness.send('update', 'certs/Web', {
      certificate: certs.ca.cert,
      allowed_common_names: 'client.*,web.*',
      allowed_dns_sans: ['*.example.com'],
      required_extensions: '1.2.3.4.5:prod-*',
      token_policies: 'web-read',
      token_ttl: '20m',
    });

    assert.equal(created, null);
    assert.deepEqual(dataOf(await harness.send('read', 'certs/web')), {
      certificate: certs.ca.cert,
      display_name: 'web',
      allowed_names: [],
      allowed_common_names: ['client.*', 'web.*'],
      allowed_dns_sans: ['*.example.com'],
      allowed_email_sans: [],
      allowed_uri_sans: [],
      allowed_organizational_units: [],
      required_extensions: ['1.2.3.4.5:prod-*'],
      allowed_metadata_extensions: [],
      token_ttl: 1200,
      token_max_ttl: 0,
      token_explicit_max_ttl: 0,
      token_period: 0,
      token_policies: ['web-read'],
      policies: ['web-read'],
      token_bound_cidrs: [],
      token_no_default_policy: false,
      token_num_uses: 0,
      token_type: 'default',
    });
  });

  test('update keeps unset fields', async () => {
    const harness = createHarness();
    await harness.send('update', 'certs/web', { certificate: certs.ca.cert, display_name: 'frontend', allowed_common_names: 'client.*' });

    await harness.send('update', 'certs/web', { token_policies: 'a,b' });

    const data = dataOf(await harness.send('read', 'certs/web'));
    assert.equal(data.certificate, certs.ca.cert);
    assert.equal(data.display_name, 'frontend');
    assert.deepEqual(data.allowed_common_names, ['client.*']);
    assert.deepEqual(data.token_policies, ['a', 'b']);
  });

  test('list and delete', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'certs/'), null);
    await harness.send('update', 'certs/web', { certificate: certs.ca.cert });
    await harness.send('update', 'certs/db', { certificate: certs.ca.cert });

    assert.deepEqual(dataOf(await harness.send('list', 'certs/')), { keys: ['db', 'web'] });
    assert.equal(await harness.send('delete', 'certs/web'), null);
    assert.equal(await harness.send('read', 'certs/web'), null);
    assert.deepEqual(dataOf(await harness.send('list', 'certs/')), { keys: ['db'] });
  });

  test('writes are updates', async () => {
    const harness = createHarness();
    assert.deepEqual(await harness.exists('certs/web'), { checkFound: false, exists: false });

    assert.equal(await harness.send('update', 'certs/web', { certificate: certs.ca.cert }), null);

    assert.equal(dataOf(await harness.send('read', 'certs/web')).display_name, 'web');
  });

  test('TTL beyond mount limits warns', async () => {
    const harness = createHarness();

    const response = await harness.send('update', 'certs/web', { certificate: certs.ca.cert, token_ttl: '2h', token_max_ttl: '3h' });

    assert.deepEqual(response?.warnings, [
      'Given ttl of 7200 seconds is greater than current mount/system default of 3600 seconds',
      'Given max_ttl of 10800 seconds is greater than current mount/system default of 7200 seconds',
    ]);
  });

  test('trusted client certificate', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('update', 'certs/self', { certificate: certs.selfSigned.cert }), null);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['missing certificate', {}, 'missing "certificate": set a PEM-encoded CA or client certificate for entry "web"'],
    ['empty certificate', { certificate: '  ' }, 'missing "certificate": set a PEM-encoded CA or client certificate for entry "web"'],
    ['non-PEM certificate', { certificate: 'MIIB' }, 'invalid "certificate": failed to parse certificate, expected one or more PEM blocks of type "CERTIFICATE"'],
    ['server-only leaf', { certificate: 'SERVER_ONLY' }, 'invalid "certificate": nonCA certificates should have TLS client authentication set as an extended key usage'],
    ['bad required extension', { certificate: 'CA', required_extensions: 'prod' }, 'invalid "required_extensions" entry "prod": expected "oid:value" or "hex:oid:value", such as "1.2.3.4:prod-*"'],
    ['non-OID required extension', { certificate: 'CA', required_extensions: 'abc:prod' }, 'invalid "required_extensions" entry "abc:prod": expected "oid:value" or "hex:oid:value", such as "1.2.3.4:prod-*"'],
    ['bad metadata extension', { certificate: 'CA', allowed_metadata_extensions: '1.2.x' }, 'invalid "allowed_metadata_extensions" entry "1.2.x": expected a dotted OID such as "1.2.3.4"'],
    ['bad bound CIDR', { certificate: 'CA', token_bound_cidrs: '10.0.0.0/33' }, 'invalid "token_bound_cidrs" entry "10.0.0.0/33": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
    ['ttl above max', { certificate: 'CA', token_ttl: '2h', token_max_ttl: '1h' }, 'invalid "token_ttl" 7200: it must not exceed "token_max_ttl" 3600'],
    ['unknown field', { certificate: 'CA', ocsp_enabled: true }, 'unknown field "ocsp_enabled"'],
    ['ill-typed field', { certificate: 'CA', token_ttl: 'soon' }, 'invalid field "token_ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
  ];
  for (const [name, body, message] of invalid) {
    test(`rejects ${name}`, async () => {
      const harness = createHarness();
      await harness.send('update', 'certs/db', { certificate: certs.ca.cert });
      const resolved = { ...body };
      if (resolved.certificate === 'CA') resolved.certificate = certs.ca.cert;
      if (resolved.certificate === 'SERVER_ONLY') resolved.certificate = certs.serverOnly.cert;

      await assertRejectedUnchanged(harness, () => harness.send('update', 'certs/web', resolved), 400, message);
    });
  }

  test('rejected update keeps entry', async () => {
    const harness = createHarness();
    await harness.send('update', 'certs/web', { certificate: certs.ca.cert, token_policies: 'web-read' });

    await assertRejectedUnchanged(harness, () => harness.send('update', 'certs/web', { token_policies: 'admin', required_extensions: 'x' }), 400, 'invalid "required_extensions" entry "x": expected "oid:value" or "hex:oid:value", such as "1.2.3.4:prod-*"');
  });
});
