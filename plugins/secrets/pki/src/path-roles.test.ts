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
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('create', 'roles/bad', body), message);
    }
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('invalid role name', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('create', 'roles/bad name', {}), 404, 'unsupported path "roles/bad name"');
  });
});
