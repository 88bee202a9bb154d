import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, dataOf, MOUNT_PREFIX } from './test-support.js';

const DEFAULT_ROLE = {
  key_type: 'ca',
  allow_user_certificates: true,
  allow_host_certificates: false,
  allowed_users: '',
  default_user: '',
  allowed_domains: '',
  allow_subdomains: false,
  allow_bare_domains: false,
  allow_empty_principals: false,
  allowed_critical_options: '',
  allowed_extensions: '',
  default_critical_options: {},
  default_extensions: {},
  ttl: 0,
  max_ttl: 0,
  not_before_duration: 30,
  algorithm_signer: 'default',
  key_id_format: '',
  allow_user_key_ids: false,
  allowed_user_key_lengths: {},
  key_bits: 0,
  allowed_users_template: false,
  allowed_domains_template: false,
  default_user_template: false,
  default_extensions_template: false,
};

describe('roles', () => {
  test('write and read defaults', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'roles/dev')), DEFAULT_ROLE);
  });

  test('write and read every field', async () => {
    const harness = createHarness();
    const settings = {
      key_type: 'CA',
      allow_user_certificates: 'true',
      allow_host_certificates: true,
      allowed_users: 'alice,bob',
      default_user: 'alice',
      allowed_domains: 'example.com',
      allow_subdomains: true,
      allow_bare_domains: true,
      allow_empty_principals: false,
      allowed_critical_options: 'force-command,source-address',
      allowed_extensions: 'permit-pty,permit-agent-forwarding',
      default_critical_options: { 'source-address': '127.0.0.1/32' },
      default_extensions: '{"permit-pty": ""}',
      ttl: '30m',
      max_ttl: '2h',
      not_before_duration: '1m',
      algorithm_signer: 'rsa-sha2-512',
      key_id_format: 'custom-{{role_name}}',
      allow_user_key_ids: true,
      allowed_user_key_lengths: { rsa: [3072, '4096'], ec: 256, 'ssh-ed25519': '0', ecdsa: '256,384' },
      allowed_users_template: true,
      default_user_template: 'true',
      allowed_domains_template: true,
      default_extensions_template: true,
    };

    await harness.send('update', 'roles/full', settings);

    assert.deepEqual(dataOf(await harness.send('read', 'roles/full')), {
      ...DEFAULT_ROLE,
      allow_host_certificates: true,
      allowed_users: 'alice,bob',
      default_user: 'alice',
      allowed_domains: 'example.com',
      allow_subdomains: true,
      allow_bare_domains: true,
      allowed_critical_options: 'force-command,source-address',
      allowed_extensions: 'permit-pty,permit-agent-forwarding',
      default_critical_options: { 'source-address': '127.0.0.1/32' },
      default_extensions: { 'permit-pty': '' },
      ttl: 1800,
      max_ttl: 7200,
      not_before_duration: 60,
      algorithm_signer: 'rsa-sha2-512',
      key_id_format: 'custom-{{role_name}}',
      allow_user_key_ids: true,
      allowed_user_key_lengths: { rsa: [3072, 4096], ec: [256], 'ssh-ed25519': [0], ecdsa: [256, 384] },
      allowed_users_template: true,
      default_user_template: true,
      allowed_domains_template: true,
      default_extensions_template: true,
    });
  });

  test('write replaces the whole role', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', ttl: 60 });

    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_host_certificates: true });

    assert.deepEqual(dataOf(await harness.send('read', 'roles/dev')), { ...DEFAULT_ROLE, allow_user_certificates: false, allow_host_certificates: true });
  });

  test('empty algorithm_signer is default', async () => {
    const harness = createHarness();

    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, algorithm_signer: '' });

    assert.equal(dataOf(await harness.send('read', 'roles/dev')).algorithm_signer, 'default');
  });

  test('list with key_info', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'roles/'), null);
    await harness.send('update', 'roles/web', { key_type: 'ca', allow_host_certificates: true });
    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true });

    assert.deepEqual(dataOf(await harness.send('list', 'roles/')), {
      keys: ['dev', 'web'],
      key_info: { dev: { key_type: 'ca' }, web: { key_type: 'ca' } },
    });
  });

  test('delete', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true });

    assert.equal(await harness.send('delete', 'roles/dev'), null);

    assert.equal(await harness.send('read', 'roles/dev'), null);
    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}roles/dev`), null);
    assert.equal(await harness.send('delete', 'roles/dev'), null);
  });

  test('read of a missing role is null', async () => {
    const harness = createHarness();

    assert.equal(await harness.send('read', 'roles/missing'), null);
  });

  test('invalid settings are rejected', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/new', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice' });
    const valid = { key_type: 'ca', allow_user_certificates: true };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ allow_user_certificates: true }, 'missing field "key_type": set it to "ca"'],
      [{ ...valid, key_type: 'otp' }, 'invalid field "key_type": "otp" roles are not supported: Coffer\'s ssh engine only signs certificates, so use "ca"'],
      [{ ...valid, key_type: 'dynamic' }, 'invalid field "key_type": "dynamic" roles are not supported: Coffer\'s ssh engine only signs certificates, so use "ca"'],
      [{ ...valid, key_type: 'x509' }, 'invalid field "key_type": unknown key type "x509": use "ca"'],
      [{ key_type: 'ca' }, 'invalid field "allow_user_certificates": either allow_user_certificates or allow_host_certificates must be set to true'],
      [{ ...valid, ttl: '2h', max_ttl: '1h' }, '"ttl" value must be less than "max_ttl" when both are specified'],
      [{ ...valid, ttl: 'soon' }, 'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      [{ ...valid, algorithm_signer: 'ssh-dss' }, 'invalid field "algorithm_signer": must be one of "", "default", "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"'],
      [{ ...valid, default_extensions: { 'permit-pty': true } }, 'invalid field "default_extensions": the value of "permit-pty" must be a string'],
      [{ ...valid, default_critical_options: { 'force-command': 1 } }, 'invalid field "default_critical_options": the value of "force-command" must be a string'],
      [{ ...valid, default_extensions: 'permit-pty' }, 'invalid field "default_extensions": expected an object, got "permit-pty"'],
      [
        { ...valid, allowed_user_key_lengths: { rsa2: 2048 } },
        'invalid field "allowed_user_key_lengths": unknown key type "rsa2": use one of rsa, ssh-rsa, dsa, ssh-dss, ec, ecdsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ed25519, ssh-ed25519',
      ],
      [{ ...valid, allowed_user_key_lengths: { rsa: 'big' } }, 'invalid field "allowed_user_key_lengths": sizes of "rsa" must be non-negative integers, got "big"'],
      [{ ...valid, allowed_user_key_lengths: { rsa: [2048.5] } }, 'invalid field "allowed_user_key_lengths": sizes of "rsa" must be non-negative integers, got 2048.5'],
      [{ ...valid, cidr_list: '10.0.0.0/8' }, 'unknown field "cidr_list"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'roles/new', body), message);
    }
    assert.equal(dataOf(await harness.send('read', 'roles/new')).allowed_users, 'alice');
  });

  test('name in body must match path', async () => {
    const harness = createHarness();

    await assertRejects(
      harness.send('update', 'roles/dev', { role: 'other', key_type: 'ca', allow_user_certificates: true }),
      400,
      'field "role" in the body does not match "dev" in the path',
    );
  });
});
