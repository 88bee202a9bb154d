import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf, MOUNT_PREFIX } from './test-support.js';

const JWT_ROLE = { role_type: 'jwt', user_claim: 'sub', bound_audiences: 'coffer' };

describe('role/:name', () => {
  test('create and read a jwt role', async () => {
    const harness = await createHarness();

    const written = await harness.send('create', 'role/CI', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['coffer', 'vault'],
      bound_subject: 'repo:main',
      bound_claims: { env: ['prod', 'staging'], ref: 'refs/heads/*' },
      bound_claims_type: 'glob',
      claim_mappings: { email: 'email', '/org/name': 'org' },
      groups_claim: 'groups',
      clock_skew_leeway: '2m',
      expiration_leeway: -1,
      not_before_leeway: 30,
      token_policies: 'dev,ops',
      token_ttl: '30m',
      token_max_ttl: '1h',
    });

    assert.equal(written, null);
    assert.deepEqual(dataOf(await harness.send('read', 'role/ci')), {
      role_type: 'jwt',
      bound_audiences: ['coffer', 'vault'],
      user_claim: 'sub',
      user_claim_json_pointer: false,
      bound_subject: 'repo:main',
      bound_claims: { env: ['prod', 'staging'], ref: 'refs/heads/*' },
      bound_claims_type: 'glob',
      claim_mappings: { email: 'email', '/org/name': 'org' },
      groups_claim: 'groups',
      oidc_scopes: [],
      allowed_redirect_uris: [],
      verbose_oidc_logging: false,
      max_age: 0,
      clock_skew_leeway: 120,
      expiration_leeway: -1,
      not_before_leeway: 30,
      token_ttl: 1800,
      token_max_ttl: 3600,
      token_explicit_max_ttl: 0,
      token_period: 0,
      token_policies: ['dev', 'ops'],
      policies: ['dev', 'ops'],
      token_bound_cidrs: [],
      token_no_default_policy: false,
      token_num_uses: 0,
      token_type: 'default',
    });
  });

  test('new roles get the default leeways and type', async () => {
    const harness = await createHarness();

    await harness.send('create', 'role/web', { user_claim: 'email', allowed_redirect_uris: 'http://127.0.0.1:8250/oidc/callback' });

    const data = dataOf(await harness.send('read', 'role/web'));
    assert.equal(data.role_type, 'oidc');
    assert.equal(data.bound_claims_type, 'string');
    assert.equal(data.clock_skew_leeway, 60);
    assert.equal(data.expiration_leeway, 150);
    assert.equal(data.not_before_leeway, 150);
    assert.equal(data.bound_claims, null);
    assert.equal(data.claim_mappings, null);
  });

  test('update changes only the fields it sets', async () => {
    const harness = await createHarness();
    await harness.send('create', 'role/ci', { ...JWT_ROLE, token_policies: 'dev', groups_claim: 'groups' });

    await harness.send('update', 'role/ci', { bound_subject: 'alice' });

    const data = dataOf(await harness.send('read', 'role/ci'));
    assert.equal(data.bound_subject, 'alice');
    assert.deepEqual(data.bound_audiences, ['coffer']);
    assert.deepEqual(data.token_policies, ['dev']);
    assert.equal(data.groups_claim, 'groups');
  });

  test('existence check tells create from update', async () => {
    const harness = await createHarness();

    assert.deepEqual(await harness.exists('role/ci'), { checkFound: true, exists: false });
    await harness.send('create', 'role/ci', JWT_ROLE);
    assert.deepEqual(await harness.exists('role/CI'), { checkFound: true, exists: true });
  });

  test('list and delete', async () => {
    const harness = await createHarness();
    assert.equal(await harness.send('list', 'role/'), null);
    await harness.send('create', 'role/web', { ...JWT_ROLE });
    await harness.send('create', 'role/ci', { ...JWT_ROLE });

    assert.deepEqual(dataOf(await harness.send('list', 'role/')), { keys: ['ci', 'web'] });
    assert.equal(await harness.send('delete', 'role/ci'), null);

    assert.equal(await harness.send('read', 'role/ci'), null);
    assert.equal(await harness.storage.get(`${MOUNT_PREFIX}role/ci`), null);
    assert.deepEqual(dataOf(await harness.send('list', 'role')), { keys: ['web'] });
  });

  test('warnings for verbose logging and a long max TTL', async () => {
    const harness = await createHarness();

    const response = await harness.send('create', 'role/web', {
      user_claim: 'sub',
      allowed_redirect_uris: 'https://coffer.test/ui/callback',
      verbose_oidc_logging: true,
      token_max_ttl: '3h',
    });

    assert.deepEqual(response?.warnings, [
      "token max ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated",
      'verbose_oidc_logging has been enabled for this role; this is not recommended in production since ID token claims may contain personal data',
    ]);
  });

  test('invalid fields are rejected', async () => {
    const harness = await createHarness();
    await harness.send('create', 'role/ci', JWT_ROLE);
    const cases: [Record<string, unknown>, string][] = [
      [{ role_type: 'saml' }, 'invalid "role_type" "saml": must be "jwt" or "oidc"'],
      [{ user_claim: '' }, 'a user claim must be defined on the role: set "user_claim"'],
      [{ role_type: 'oidc' }, '"allowed_redirect_uris" must be set if "role_type" is "oidc" or unspecified'],
      [
        { bound_audiences: [] },
        'must have at least one bound constraint when creating/updating a role: set "bound_audiences", "bound_subject", "bound_claims" or "token_bound_cidrs"',
      ],
      [{ bound_claims_type: 'regex' }, 'invalid "bound_claims_type" "regex": must be "string" or "glob"'],
      [{ bound_claims: { team: { name: 'x' } } }, 'invalid "bound_claims" value of claim "team": expected a string, an integer, a boolean or a list of strings'],
      [{ bound_claims: { team: [1, 2] } }, 'invalid "bound_claims" value of claim "team": expected a string, an integer, a boolean or a list of strings'],
      [
        { bound_claims: { admin: true }, bound_claims_type: 'glob' },
        'invalid "bound_claims" value of claim "admin": with "bound_claims_type" "glob" every value must be a string',
      ],
      [{ claim_mappings: { email: 'role' } }, 'invalid "claim_mappings": metadata key "role" is reserved and may not be a mapping destination'],
      [{ claim_mappings: { email: 'mail', upn: 'mail' } }, 'invalid "claim_mappings": multiple keys are mapped to metadata key "mail"'],
      [{ clock_skew_leeway: 'soon' }, 'invalid "clock_skew_leeway" "soon": expected seconds or a duration such as "90s" or "2m", or -1 to turn the leeway off'],
      [{ token_period: '3h' }, 'invalid "token_period" 10800: it is greater than the backend\'s maximum lease TTL of "2h0m0s"'],
      [{ token_type: 'batch', token_num_uses: 2 }, 'invalid "token_type" "batch": batch tokens cannot have a use limit, set "token_num_uses" to 0 or "token_type" to "service"'],
      [{ token_bound_cidrs: '10.0.0.0/40' }, 'invalid "token_bound_cidrs" entry "10.0.0.0/40": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
      [{ bound_cidrs: '10.0.0.0/8' }, 'unknown field "bound_cidrs"'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'role/ci', data), 400, message);
    }
  });

  test('create without user_claim is rejected', async () => {
    const harness = await createHarness();

    await assertRejectedUnchanged(
      harness,
      () => harness.send('create', 'role/ci', { role_type: 'jwt', bound_subject: 'x' }),
      400,
      'a user claim must be defined on the role: set "user_claim"',
    );
    assert.equal(await harness.send('read', 'role/ci'), null);
  });

  test('token_bound_cidrs alone bind a jwt role', async () => {
    const harness = await createHarness();

    await harness.send('create', 'role/ci', { role_type: 'jwt', user_claim: 'sub', token_bound_cidrs: '10.0.0.0/8' });

    assert.deepEqual(dataOf(await harness.send('read', 'role/ci')).token_bound_cidrs, ['10.0.0.0/8']);
  });
});
