import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StorageView, WriteAheadLog } from '@coffer/sdk';
import { Attribute, Change } from 'ldapts';
import {
  addManager,
  asRoot,
  assertRejectedUnchanged,
  binds,
  createHarness,
  dataOf,
  DIRECTORY,
  managerConfig,
  slapdSkipReason,
  startTestDirectory,
  type TestDirectory,
} from './test-support.js';

describe('config', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;

  before(async () => {
    directory = await startTestDirectory();
  });

  after(async () => {
    await directory?.stop();
  });

  test('read before any write', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'config'), null);
  });

  test('write then read omits bindpass', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', managerConfig(directory));

    assert.deepEqual(dataOf(await harness.send('read', 'config')), {
      binddn: DIRECTORY.managerDn,
      url: directory.url,
      userdn: DIRECTORY.peopleDn,
      userattr: 'cn',
      upndomain: '',
      schema: 'openldap',
      password_policy: '',
      length: 64,
      request_timeout: 90,
      connection_timeout: 30,
      starttls: false,
      insecure_tls: false,
      certificate: '',
      client_tls_cert: '',
    });
  });

  test('update keeps unset fields', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', managerConfig(directory));

    await harness.send('update', 'config', { request_timeout: '10s' });

    const data = dataOf(await harness.send('read', 'config'));
    assert.equal(data.request_timeout, 10);
    assert.equal(data.binddn, DIRECTORY.managerDn);
  });

  test('wrong bind password stores nothing', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { ...managerConfig(directory), bindpass: 'not-the-password' }),
      `failed to bind with the new config: failed to bind as "${DIRECTORY.managerDn}": invalid credentials (LDAP result 49)`,
    );
    assert.equal(await harness.send('read', 'config'), null);
  });

  test('unreachable url stores nothing', async () => {
    const harness = createHarness();
    const closed = 'ldap://127.0.0.1:1';

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { ...managerConfig(directory), url: closed, connection_timeout: 5 }),
      'failed to bind with the new config: failed to connect to the LDAP server: url 1 of 1: connect ECONNREFUSED [redacted]:1',
    );
  });

  test('second url used when first is down', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { ...managerConfig(directory), url: `ldap://127.0.0.1:1,${directory.url}` });

    assert.equal(dataOf(await harness.send('read', 'config')).url, `ldap://127.0.0.1:1,${directory.url}`);
  });

  test('timeouts of weeks do not fire at once', async () => {
    const harness = createHarness();

    // Node.js runs a timer longer than about 24.8 days after 1 ms, and writing the config binds to the directory.
    await harness.send('update', 'config', { ...managerConfig(directory), request_timeout: '720h', connection_timeout: '720h' });

    assert.equal(dataOf(await harness.send('read', 'config')).request_timeout, 2_592_000);
  });

  test('ldaps with the test CA', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { ...managerConfig(directory), url: directory.ldapsUrl, certificate: directory.caCertificate });

    assert.equal(dataOf(await harness.send('read', 'config')).certificate, directory.caCertificate);
  });

  test('ldaps without the CA is rejected', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { ...managerConfig(directory), url: directory.ldapsUrl }),
      'failed to bind with the new config: failed to connect to the LDAP server: url 1 of 1: self-signed certificate in certificate chain',
    );
  });

  test('client certificate over ldaps', async () => {
    const harness = createHarness();
    const tls = { url: directory.ldapsUrl, certificate: directory.caCertificate };

    await harness.send('update', 'config', { ...managerConfig(directory), ...tls, client_tls_cert: directory.clientCertificate, client_tls_key: directory.clientKey });

    const data = dataOf(await harness.send('read', 'config'));
    assert.equal(data.client_tls_cert, directory.clientCertificate);
    assert.equal(data.client_tls_key, undefined);
    await assert.rejects(
      harness.send('update', 'config', { ...managerConfig(directory), ...tls, client_tls_cert: directory.untrustedClientCertificate, client_tls_key: directory.untrustedClientKey }),
      /^CofferError: failed to bind with the new config: failed to connect to the LDAP server: url 1 of 1: /,
    );
  });

  test('starttls with the test CA', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { ...managerConfig(directory), starttls: true, certificate: directory.caCertificate });

    assert.equal(dataOf(await harness.send('read', 'config')).starttls, true);
  });

  test('periodic pass finishes an interrupted rotate-root', async () => {
    const harness = createHarness();
    const dn = await addManager(directory, 'interrupted', 'before-pass-1');
    await harness.send('update', 'config', { ...managerConfig(directory), binddn: dn, bindpass: 'before-pass-1' });
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/ldap/'));
    await wal.put('root-rotation', { password: 'after-pass-1' }, Date.now() - 120_000);
    await asRoot(directory, (client) => client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: ['after-pass-1'] }) })));

    await harness.backend.periodic();

    const stored = JSON.parse((await harness.storage.get('logical/ldap/config'))!.value.toString('utf8')) as { bindpass: string };
    assert.equal(stored.bindpass, 'after-pass-1');
    assert.deepEqual(await wal.list(), []);
  });

  test('invalid fields are rejected', async () => {
    const harness = createHarness();
    const base = managerConfig(directory);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, binddn: '' }, 'missing required field "binddn"'],
      [{ ...base, bindpass: '' }, 'missing required field "bindpass"'],
      [{ ...base, url: 'http://127.0.0.1' }, 'invalid field "url": scheme "http" of "http://127.0.0.1" is not ldap or ldaps'],
      [{ ...base, url: `${directory.url},` }, 'invalid field "url": empty URL in the list'],
      [{ ...base, url: 'ldap://user:pw@127.0.0.1' }, 'invalid field "url": a URL must not contain credentials; set "binddn" and "bindpass" instead'],
      [{ ...base, schema: 'ad' }, 'invalid field "schema": schema "ad" is not supported yet; use "openldap"'],
      [{ ...base, schema: 'racf' }, 'invalid field "schema": schema "racf" is not supported yet; use "openldap"'],
      [{ ...base, schema: 'novell' }, 'invalid field "schema": "novell" is not a schema; use "openldap"'],
      [{ ...base, length: 20, password_policy: 'strong' }, 'invalid field "length": cannot be set together with "password_policy"; set one of them'],
      [{ ...base, length: 4 }, 'invalid field "length": 4 is shorter than the minimum of 8'],
      [{ ...base, request_timeout: 0 }, 'invalid field "request_timeout": must be greater than 0'],
      [{ ...base, certificate: 'not a pem' }, 'invalid field "certificate": not a PEM-encoded X.509 certificate'],
      [{ ...base, client_tls_cert: directory.clientCertificate }, 'invalid field "client_tls_cert": "client_tls_cert" and "client_tls_key" must be set together'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config', data), message);
    }
  });

  test('delete removes the config', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', managerConfig(directory));

    await harness.send('delete', 'config');

    assert.equal(await harness.send('read', 'config'), null);
  });

  test('rotate-root changes the bind password', async () => {
    const harness = createHarness();
    const initialPassword = 'rotate-me-1';
    const dn = await addManager(directory, 'rotate', initialPassword);
    await harness.send('update', 'config', { ...managerConfig(directory), binddn: dn, bindpass: initialPassword });

    await harness.send('update', 'rotate-root');

    assert.equal(await binds(directory, dn, initialPassword), false);
    const stored = JSON.parse((await harness.storage.get('logical/ldap/config'))!.value.toString('utf8')) as { bindpass: string };
    assert.equal(stored.bindpass.length, 64);
    assert.equal(await binds(directory, dn, stored.bindpass), true);
    const data = dataOf(await harness.send('read', 'config'));
    assert.equal(data.bindpass, undefined);
    assert.equal(typeof data.last_bind_password_rotation, 'string');
  });

  test('rotate-root without config', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'rotate-root'), 'the LDAP secrets engine is not configured: write config first');
  });
});
