import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, assertRejects, createHarness, dataOf } from './test-support.js';

describe('roles', () => {
  test('write applies vault defaults', async () => {
    const harness = createHarness();

    const written = dataOf(await harness.send('create', 'roles/web', { allowed_domains: 'example.com', allow_subdomains: true }));
    const read = dataOf(await harness.send('read', 'roles/web'));

    assert.deepEqual(read, written);
    assert.deepEqual(read.allowed_domains, ['example.com']);
    assert.equal(read.allow_subdomains, true);
    assert.equal(read.allow_localhost, true);
    assert.equal(read.enforce_hostnames, true);
    assert.equal(read.allow_ip_sans, true);
    assert.equal(read.server_flag, true);
    assert.equal(read.client_flag, true);
    assert.equal(read.key_type, 'rsa');
    assert.equal(read.key_bits, 2048);
    assert.deepEqual(read.key_usage, ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment']);
    assert.equal(read.not_before_duration, 30);
    assert.equal(read.ttl, 0);
    assert.equal(read.no_store, false);
    assert.equal(read.generate_lease, false);
  });

  test('durations read back in seconds', async () => {
    const harness = createHarness();

    await harness.send('create', 'roles/short', { ttl: '1h', max_ttl: '24h', not_before_duration: '2m', key_type: 'ec', generate_lease: true });

    const role = dataOf(await harness.send('read', 'roles/short'));
    assert.equal(role.ttl, 3600);
    assert.equal(role.max_ttl, 86400);
    assert.equal(role.not_before_duration, 120);
    assert.equal(role.key_bits, 256);
    assert.equal(role.generate_lease, true);
  });

  test('update replaces and patch merges', async () => {
    const harness = createHarness();
    await harness.send('create', 'roles/web', { allowed_domains: 'example.com', allow_subdomains: true, organization: 'Acme' });

    await harness.send('update', 'roles/web', { allowed_domains: 'example.org' });
    const replaced = dataOf(await harness.send('read', 'roles/web'));
    await harness.send('patch', 'roles/web', { allow_bare_domains: true });
    const patched = dataOf(await harness.send('read', 'roles/web'));

    assert.equal(replaced.allow_subdomains, false);
    assert.deepEqual(replaced.organization, []);
    assert.deepEqual(patched.allowed_domains, ['example.org']);
    assert.equal(patched.allow_bare_domains, true);
  });

  test('patch of a missing role', async () => {
    const harness = createHarness();

    await assertRejectedUnchanged(harness, () => harness.send('patch', 'roles/none', { ttl: 60 }), 'role "none" not found: a patch needs an existing role; write the role first');
  });

  test('list and delete', async () => {
    const harness = createHarness();
    await harness.send('create', 'roles/b', {});
    await harness.send('create', 'roles/a', {});

    assert.deepEqual(dataOf(await harness.send('list', 'roles/')).keys, ['a', 'b']);
    assert.equal(await harness.send('delete', 'roles/a'), null);
    assert.deepEqual(dataOf(await harness.send('list', 'roles')).keys, ['b']);
    assert.equal(await harness.send('read', 'roles/a'), null);
  });

  test('existence check finds stored roles', async () => {
    const harness = createHarness();

    assert.deepEqual(await harness.exists('create', 'roles/web'), { checkFound: true, exists: false });
    await harness.send('create', 'roles/web', {});
    assert.deepEqual(await harness.exists('update', 'roles/web'), { checkFound: true, exists: true });
  });

  test('invalid roles are rejected', async () => {
    const harness = createHarness();
    const cases: [Record<string, unknown>, string][] = [
      [{ ttl: '2h', max_ttl: '1h' }, 'invalid field "ttl": 7200s is larger than max_ttl 3600s: ttl cannot be larger than max_ttl'],
      [{ key_type: 'dsa' }, 'invalid field "key_type": unknown key type "dsa": use rsa, ec or ed25519'],
      [{ key_type: 'ec', key_bits: 2048 }, 'invalid field "key_bits": unsupported bit length 2048 for an ec key: use 256, 384 or 521'],
      [{ key_type: 'any', key_bits: 2048 }, 'invalid field "key_bits": 2048: key_bits must be 0 when key_type is any'],
      [{ key_usage: 'DigitalSignature,Teleport' }, 'invalid field "key_usage": unknown key usage "Teleport": use names such as DigitalSignature, KeyEncipherment, KeyAgreement, CertSign or CRLSign'],
      [{ ext_key_usage: 'ServerAuth,Flying' }, 'invalid field "ext_key_usage": unknown extended key usage "Flying": use names such as ServerAuth, ClientAuth, CodeSigning or EmailProtection'],
      [{ ext_key_usage_oids: '1.2.x' }, 'invalid field "ext_key_usage_oids": "1.2.x" is not a dotted object identifier such as 1.3.6.1.5.5.7.3.1'],
      [{ allow_subdomains: 'sometimes' }, 'invalid field "allow_subdomains": expected a boolean, got "sometimes"'],
      [{ signature_bits: 1 }, 'invalid field "signature_bits": unsupported hash size 1: use 256, 384 or 512'],
      [{ not_before_duration: '876000000h' }, 'invalid field "not_before_duration": 3153600000000s is more than the maximum of 1576800000s (50 years)'],
      [{ lease: '1h' }, 'unknown field "lease"'],
      [{ issuer_ref: 'root-x1' }, 'invalid field "issuer_ref": issuer "root-x1" not found: this mount has a single issuer, so the only reference is "default"'],
      [{ cn_validations: 'email,ip' }, 'invalid field "cn_validations": unknown value "ip": use email, hostname or disabled'],
      [{ cn_validations: 'disabled,email' }, 'invalid field "cn_validations": disabled cannot be combined with email or hostname'],
      [{ serial_number_source: 'csr' }, 'invalid field "serial_number_source": unknown serial_number_source "csr": use json-csr or json'],
      [{ not_after: 'tomorrow' }, 'invalid field "not_after": "tomorrow" is not a UTC time such as 2030-01-02T03:04:05Z'],
      [{ allowed_other_sans: '1.2.3.4;UTF8' }, 'invalid field "allowed_other_sans": expected a colon in other SAN "1.2.3.4;UTF8"'],
      [{ allowed_other_sans: '1.40;UTF8:*' }, 'invalid field "allowed_other_sans": "1.40" in other SAN "1.40;UTF8:*" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40'],
      [{ ext_key_usage_oids: '0.40.1' }, 'invalid field "ext_key_usage_oids": "0.40.1" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40'],
      [{ allowed_other_sans: '*,1.2.3.4;UTF8:x;y' }, 'invalid field "allowed_other_sans": expected a semicolon in other SAN "*"'],
      [
        { allowed_domains: '{{identity.entity.nmae}}.example.com', allowed_domains_template: true },
        'invalid field "allowed_domains": unknown identity template {{identity.entity.nmae}} in "{{identity.entity.nmae}}.example.com": use an expression such as {{identity.entity.name}}, {{identity.entity.aliases.<mount accessor>.name}} or {{identity.entity.metadata.<key>}}',
      ],
      [{ allowed_uri_sans: 'spiffe://{{identity.entity.name}/x', allowed_uri_sans_template: true }, 'invalid field "allowed_uri_sans": unbalanced template braces in "spiffe://{{identity.entity.name}/x"'],
      [
        { allowed_domains: '{{identity.entity.groups.names.ops.name}}.example.com', allowed_domains_template: true },
        'invalid field "allowed_domains": unknown identity template {{identity.entity.groups.names.ops.name}} in "{{identity.entity.groups.names.ops.name}}.example.com": use an expression such as {{identity.entity.name}}, {{identity.entity.aliases.<mount accessor>.name}} or {{identity.entity.metadata.<key>}}',
      ],
      [{ use_pss: 'maybe' }, 'invalid field "use_pss": expected a boolean, got "maybe"'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('create', 'roles/bad', body), message);
    }
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('vault field set reads back complete', async () => {
    const harness = createHarness();
    const policies = JSON.stringify([{ oid: '1.3.6.1.4.1.7.8', notice: 'I am a user notice' }, { oid: '1.3.6.1.4.1.44947.1.2.4', cps: 'https://example.com/cps' }]);
    // Every field of Terraform's vault_pki_secret_backend_role, as the provider sends them.
    const written = {
      issuer_ref: 'default',
      ttl: '3600',
      max_ttl: '86400',
      allow_localhost: false,
      allowed_domains: ['example.com'],
      allowed_domains_template: false,
      allow_bare_domains: true,
      allow_subdomains: true,
      allow_glob_domains: false,
      allow_wildcard_certificates: false,
      allow_any_name: false,
      enforce_hostnames: true,
      allow_ip_sans: false,
      allowed_uri_sans: ['spiffe://example/*'],
      allowed_uri_sans_template: false,
      allowed_other_sans: ['1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com'],
      allowed_serial_numbers: ['SN-*'],
      allowed_user_ids: ['alice', 'svc-*'],
      server_flag: true,
      client_flag: false,
      code_signing_flag: true,
      email_protection_flag: true,
      key_type: 'rsa',
      key_bits: 3072,
      signature_bits: 384,
      use_pss: true,
      key_usage: ['DigitalSignature', 'KeyEncipherment'],
      ext_key_usage: ['TimeStamping'],
      ext_key_usage_oids: ['1.3.6.1.4.1.311.10.3.12'],
      use_csr_common_name: false,
      use_csr_sans: false,
      ou: ['Ops'],
      organization: ['Acme'],
      country: ['NL'],
      locality: ['Amsterdam'],
      province: ['NH'],
      street_address: ['Dam 1'],
      postal_code: ['1012 JS'],
      generate_lease: true,
      no_store: false,
      no_store_metadata: true,
      require_cn: false,
      cn_validations: ['email', 'hostname'],
      policy_identifiers: policies,
      basic_constraints_valid_for_non_ca: true,
      not_before_duration: '45s',
      not_after: '2030-01-02T03:04:05Z',
      serial_number_source: 'json',
      allow_token_displayname: false,
    };

    await harness.send('create', 'roles/full', written);
    const read = dataOf(await harness.send('read', 'roles/full'));

    assert.deepEqual(read, {
      ...written,
      ttl: 3600,
      max_ttl: 86400,
      not_before_duration: 45,
      policy_identifiers: ['{"oid":"1.3.6.1.4.1.7.8","notice":"I am a user notice"}', '{"oid":"1.3.6.1.4.1.44947.1.2.4","cps":"https://example.com/cps"}'],
    });
  });

  test('new fields have vault defaults', async () => {
    const harness = createHarness();

    await harness.send('create', 'roles/web', {});
    const role = dataOf(await harness.send('read', 'roles/web'));

    assert.equal(role.issuer_ref, 'default');
    assert.deepEqual(role.cn_validations, ['email', 'hostname']);
    assert.equal(role.serial_number_source, 'json-csr');
    assert.equal(role.not_after, '');
    assert.equal(role.use_pss, false);
    assert.equal(role.allowed_domains_template, false);
    assert.equal(role.allowed_uri_sans_template, false);
    assert.equal(role.allow_token_displayname, false);
    assert.equal(role.no_store_metadata, false);
    assert.deepEqual(role.allowed_other_sans, []);
    assert.deepEqual(role.allowed_serial_numbers, []);
    assert.deepEqual(role.allowed_user_ids, []);
    assert.deepEqual(role.policy_identifiers, []);
  });

  test('aliases and empty values are normalized', async () => {
    const harness = createHarness();

    await harness.send('create', 'roles/web', { cn_validations: 'mail,DNS', issuer_ref: '', serial_number_source: '' });
    await harness.send('patch', 'roles/web', { policy_identifiers: '[{"oid":"1.2.3.4","cps":"https://example.com/cps"}]' });
    const role = dataOf(await harness.send('read', 'roles/web'));

    assert.deepEqual(role.cn_validations, ['email', 'hostname']);
    assert.equal(role.issuer_ref, 'default');
    assert.equal(role.serial_number_source, 'json-csr');
    assert.deepEqual(role.policy_identifiers, ['{"oid":"1.2.3.4","cps":"https://example.com/cps"}']);
  });

  test('invalid role name', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('create', 'roles/bad name', {}), 404, 'unsupported path "roles/bad name"');
  });
});
