import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER } from './config.js';
import { assertRejectedUnchanged, createHarness, MOUNT_PREFIX } from './test-support.js';

const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIUTDGbmaGI1VvQ6MFNnBaFTA3B0N4wCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLZXhhbXBsZSBDQTAeFw0yNDAxMDEwMDAwMDBaFw0zNDAxMDEw
MDAwMDBaMBYxFDASBgNVBAMMC2V4YW1wbGUgQ0EwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ2f1u1XnJcvXq1tEXTZ0Ll0ZAsd+Ulf0Xn4K0FzHqC6I0cO1gkY0sp
CsgxUY9J0sA2E6Q2L1eV2aT6s8oDcaBQo1MwUTAdBgNVHQ4EFgQUbJ0n0X1y6cNn
-----END CERTIFICATE-----`;

describe('config', () => {
  test('read before any write', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'config'), null);
  });

  test('defaults after first write', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { url: 'ldap://127.0.0.1:3890', userdn: 'ou=people,dc=example,dc=com' });

    const response = await harness.send('read', 'config');
    assert.deepEqual(response?.data, {
      url: 'ldap://127.0.0.1:3890',
      binddn: '',
      userdn: 'ou=people,dc=example,dc=com',
      userattr: 'cn',
      userfilter: DEFAULT_USER_FILTER,
      upndomain: '',
      groupdn: '',
      groupfilter: DEFAULT_GROUP_FILTER,
      groupattr: 'cn',
      starttls: false,
      insecure_tls: false,
      tls_min_version: 'tls12',
      tls_max_version: 'tls12',
      certificate: '',
      client_tls_cert: '',
      discoverdn: false,
      deny_null_bind: true,
      anonymous_group_search: false,
      case_sensitive_names: false,
      username_as_alias: false,
      request_timeout: 90,
      connection_timeout: 30,
      dereference_aliases: 'never',
      max_page_size: 0,
      token_ttl: 0,
      token_max_ttl: 0,
      token_explicit_max_ttl: 0,
      token_period: 0,
      token_policies: [],
      policies: [],
      token_bound_cidrs: [],
      token_no_default_policy: false,
      token_num_uses: 0,
      token_type: 'default',
    });
    assert.deepEqual(response?.warnings, []);
  });

  test('bindpass and client key never read back', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', {
      url: 'ldap://127.0.0.1:3890',
      binddn: 'cn=reader,dc=example,dc=com',
      bindpass: 'hunter2-service',
    });

    const data = (await harness.send('read', 'config'))?.data ?? {};
    assert.equal(data.binddn, 'cn=reader,dc=example,dc=com');
    assert.equal('bindpass' in data, false);
    assert.equal('client_tls_key' in data, false);
    assert.equal(JSON.stringify(data).includes('hunter2-service'), false);
  });

  test('changes only the fields sent', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', { url: 'ldap://127.0.0.1:3890', userdn: 'ou=people,dc=example,dc=com', bindpass: 'kept-secret', binddn: 'cn=r' });

    await harness.send('update', 'config', { groupdn: 'ou=groups,dc=example,dc=com', token_policies: 'ldap-base' });

    const data = (await harness.send('read', 'config'))?.data ?? {};
    assert.equal(data.url, 'ldap://127.0.0.1:3890');
    assert.equal(data.userdn, 'ou=people,dc=example,dc=com');
    assert.equal(data.groupdn, 'ou=groups,dc=example,dc=com');
    assert.deepEqual(data.token_policies, ['ldap-base']);
    const stored = (await harness.storage.get(`${MOUNT_PREFIX}config`))?.value.toString('utf8') ?? '';
    assert.equal(JSON.parse(stored).bindpass, 'kept-secret');
  });

  test('url and userattr lowercased', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { url: 'LDAP://LDAP.Example.COM,ldaps://127.0.0.1:6360', userattr: 'sAMAccountName', userdn: 'dc=x' });

    const data = (await harness.send('read', 'config'))?.data ?? {};
    assert.equal(data.url, 'ldap://ldap.example.com,ldaps://127.0.0.1:6360');
    assert.equal(data.userattr, 'samaccountname');
  });

  test('durations accept seconds and strings', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { url: 'ldap://127.0.0.1', userdn: 'dc=x', request_timeout: '2m', connection_timeout: 5 });

    const data = (await harness.send('read', 'config'))?.data ?? {};
    assert.equal(data.request_timeout, 120);
    assert.equal(data.connection_timeout, 5);
  });

  test('incomplete bind settings warn', async () => {
    const harness = createHarness();

    const response = await harness.send('update', 'config', { url: 'ldap://127.0.0.1' });

    assert.deepEqual(response?.warnings, [
      'logins will fail until the config is complete: cannot derive the user bind DN: set "userdn", "upndomain", "discoverdn" or both "binddn" and "bindpass"',
    ]);
  });

  test('userfilter without userattr warns', async () => {
    const harness = createHarness();

    const response = await harness.send('update', 'config', { url: 'ldap://127.0.0.1', userdn: 'dc=x', userfilter: '(uid={{.Username}})' });

    assert.deepEqual(response?.warnings, ['"userfilter" contains neither {{.UserAttr}} nor "cn", so two users may get the same entity alias']);
  });

  test('empty groupfilter accepted', async () => {
    const harness = createHarness();

    await harness.send('update', 'config', { url: 'ldap://127.0.0.1', userdn: 'dc=x', groupfilter: '' });

    assert.equal((await harness.send('read', 'config'))?.data?.groupfilter, '');
  });

  const rejected: Array<[string, Record<string, unknown>, string]> = [
    ['empty url', { url: '' }, 'invalid "url": it is empty; set one or more URLs such as ldap://ldap.example.com'],
    [
      'http url',
      { url: 'ldap://127.0.0.1,http://ldap.example.com' },
      'invalid "url" entry "http://ldap.example.com": scheme "http" is not ldap or ldaps; use ldap://host[:port] or ldaps://host[:port], separated by commas',
    ],
    ['url without host', { url: 'ldap://' }, 'invalid "url" entry "ldap://": the host is missing; use ldap://host[:port] or ldaps://host[:port], separated by commas'],
    ['userattr with space', { userattr: 'common name' }, 'invalid "userattr" "common name": expected an attribute name such as cn, uid or sAMAccountName'],
    ['empty groupattr', { groupattr: '' }, 'invalid "groupattr" "": expected an attribute name such as cn or memberOf'],
    [
      'groupfilter unknown field',
      { groupfilter: '(member={{.UserDn}})' },
      'invalid "groupfilter" "(member={{.UserDn}})": unknown template field "{{.UserDn}}": use {{.UserDN}} or {{.Username}}',
    ],
    [
      'groupfilter unsupported action',
      { groupfilter: '(member={{if .UserDN}}x{{end}})' },
      'invalid "groupfilter" "(member={{if .UserDN}}x{{end}})": unsupported template action "{{if .UserDN}}": only field references such as {{.UserDN}} are supported',
    ],
    ['groupfilter unbalanced', { groupfilter: '(&(objectClass=group)(member={{.UserDN}})' }, 'invalid "groupfilter" "(&(objectClass=group)(member={{.UserDN}})": unbalanced parentheses'],
    ['userfilter unclosed', { userfilter: '({{.UserAttr}}={{.Username)' }, 'invalid "userfilter" "({{.UserAttr}}={{.Username)": unclosed template action: a "{{" has no matching "}}"'],
    [
      'userfilter wrong field',
      { userfilter: '(cn={{.UserDN}})' },
      'invalid "userfilter" "(cn={{.UserDN}})": unknown template field "{{.UserDN}}": use {{.UserAttr}} or {{.Username}}',
    ],
    ['userfilter without parentheses', { userfilter: 'cn={{.Username}}' }, 'invalid "userfilter" "cn={{.Username}}": a filter must start with "(" and end with ")"'],
    ['certificate not pem', { certificate: 'not a certificate' }, 'invalid "certificate": failed to decode PEM block in the certificate; provide the CA certificate in PEM format'],
    ['client cert without key', { client_tls_cert: CA_PEM }, 'invalid client certificate: both "client_tls_cert" and "client_tls_key" must be set, or neither'],
    ['tls versions reversed', { tls_min_version: 'tls13', tls_max_version: 'tls12' }, 'invalid "tls_max_version" "tls12": it must be greater than or equal to "tls_min_version" "tls13"'],
    ['unknown tls version', { tls_min_version: 'ssl3' }, 'invalid field "tls_min_version": must be one of "tls10", "tls11", "tls12", "tls13"'],
    ['unknown dereference', { dereference_aliases: 'sometimes' }, 'invalid field "dereference_aliases": must be one of "never", "finding", "searching", "always"'],
    ['negative page size', { max_page_size: -1 }, 'invalid "max_page_size" -1: it cannot be negative; use 0 to turn paging off'],
    ['bad token_type', { token_type: 'root' }, 'invalid "token_type" "root": must be one of service, batch, default, default-service, default-batch'],
    [
      'token_bound_cidrs prefix too long',
      { token_bound_cidrs: '10.0.0.0/33' },
      'invalid "token_bound_cidrs" entry "10.0.0.0/33": expected an IP address or a CIDR block such as "10.0.0.0/8"',
    ],
    [
      'token_bound_cidrs bad address',
      { token_bound_cidrs: '999.1.1.1/8' },
      'invalid "token_bound_cidrs" entry "999.1.1.1/8": expected an IP address or a CIDR block such as "10.0.0.0/8"',
    ],
    ['unknown field', { use_token_groups: true }, 'unknown field "use_token_groups"'],
  ];

  for (const [name, fields, message] of rejected) {
    test(`rejects ${name}`, async () => {
      const harness = createHarness();
      await harness.send('update', 'config', { url: 'ldap://127.0.0.1:3890', userdn: 'ou=people,dc=example,dc=com', bindpass: 'old-secret' });

      await assertRejectedUnchanged(harness, () => harness.send('update', 'config', fields), message);
    });
  }

  test('rejects certificate that does not parse', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { url: 'ldap://127.0.0.1', certificate: CA_PEM }),
      'invalid "certificate": failed to parse the certificate: error:0680009B:asn1 encoding routines::too long',
    );
  });

  test('rejects mismatched client key pair', async () => {
    const harness = createHarness();

    await assert.rejects(
      harness.send('update', 'config', { url: 'ldap://127.0.0.1', client_tls_cert: 'x', client_tls_key: 'y' }),
      (err: Error) => err.message.startsWith('invalid "client_tls_cert" or "client_tls_key": failed to parse the client X509 key pair: '),
    );
    assert.equal(await harness.send('read', 'config'), null);
  });
});
