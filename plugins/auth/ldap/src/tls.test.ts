import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertRejects, authOf, createHarness, directConfig, type Harness } from './test-support.js';
import { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from './test-slapd.js';

const CONNECT_FAILED = 'ldap operation failed: failed to connect to LDAP server: url 1 of 1: ';

describe('tls', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;

  before(async () => {
    directory = await startTestDirectory();
  });

  after(async () => {
    await directory?.stop();
  });

  async function configured(overrides: Record<string, unknown>): Promise<Harness> {
    const harness = createHarness();
    await harness.send('update', 'config', directConfig(directory, overrides));
    await harness.send('update', 'groups/admins', { policies: 'admin-policy' });
    return harness;
  }

  async function loginPolicies(harness: Harness): Promise<string[]> {
    return authOf(await harness.send('update', 'login/alice', { password: DIRECTORY.users.alice.password })).policies;
  }

  test('starttls with certificate', async () => {
    const harness = await configured({ starttls: true, certificate: directory.caCertificate });

    assert.deepEqual(await loginPolicies(harness), ['admin-policy']);
  });

  test('starttls without trusted CA', async () => {
    const harness = await configured({ starttls: true });

    await assertRejects(
      harness.send('update', 'login/alice', { password: DIRECTORY.users.alice.password }),
      400,
      `${CONNECT_FAILED}the server certificate chain ends in a self-signed certificate that is not trusted; set "certificate" to its CA`,
    );
  });

  test('starttls with insecure_tls', async () => {
    const harness = await configured({ starttls: true, insecure_tls: true });

    assert.deepEqual(await loginPolicies(harness), ['admin-policy']);
  });

  test('starttls with tls13', async () => {
    const harness = await configured({ starttls: true, certificate: directory.caCertificate, tls_min_version: 'tls13', tls_max_version: 'tls13' });

    assert.deepEqual(await loginPolicies(harness), ['admin-policy']);
  });

  test('ldaps with certificate', async () => {
    const harness = await configured({ url: directory.ldapsUrl, certificate: directory.caCertificate });

    assert.deepEqual(await loginPolicies(harness), ['admin-policy']);
  });

  test('host name checked', async () => {
    // The server certificate names 127.0.0.1 only, so localhost does not match it.
    const harness = await configured({ url: directory.url.replace('127.0.0.1', 'localhost'), starttls: true, certificate: directory.caCertificate });

    await assertRejects(
      harness.send('update', 'login/alice', { password: DIRECTORY.users.alice.password }),
      400,
      `${CONNECT_FAILED}the server certificate does not match the host name`,
    );
  });

  test('client certificate presented', async () => {
    const harness = await configured({
      starttls: true,
      certificate: directory.caCertificate,
      client_tls_cert: directory.clientCertificate,
      client_tls_key: directory.clientKey,
    });
    assert.deepEqual(await loginPolicies(harness), ['admin-policy']);

    // slapd ends the session after the handshake when the CA did not sign
    // the client certificate, which shows the configured one is sent. The
    // bind then fails as in Vault; request_timeout bounds the wait if the
    // closed session went unnoticed.
    await harness.send('update', 'config', {
      client_tls_cert: directory.untrustedClientCertificate,
      client_tls_key: directory.untrustedClientKey,
      request_timeout: 5,
    });
    const started = Date.now();
    await assertRejects(harness.send('update', 'login/alice', { password: DIRECTORY.users.alice.password }), 400, 'ldap operation failed: failed to bind as user');
    assert.ok(Date.now() - started < 4000, `login took ${Date.now() - started} ms`);
  });
});
