import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JWTPayload } from 'jose';
import {
  assertRejectedUnchanged,
  assertRejects,
  createHarness,
  makeKey,
  nowSeconds,
  signToken,
  startJwksServer,
  type Harness,
  type JwksServer,
  type TestKey,
} from './test-support.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const ISSUER = 'https://issuer.test';

describe('login', () => {
  const keys = new Map<string, TestKey>();
  let jwks: JwksServer;

  before(async () => {
    for (const alg of ALGORITHMS) keys.set(alg, await makeKey(alg));
    jwks = await startJwksServer([...keys.values()].map((key) => key.publicJwk));
  });
  after(() => jwks.close());

  const key = (alg = 'ES256'): TestKey => keys.get(alg)!;

  /** Creates a harness configured with the JWKS server and a `ci` jwt role. */
  async function setUp(role: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<Harness> {
    const harness = await createHarness();
    await harness.send('update', 'config', { jwks_url: jwks.url, bound_issuer: ISSUER, ...config });
    await harness.send('create', 'role/ci', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'coffer',
      token_policies: 'dev',
      ...role,
    });
    return harness;
  }

  /** Claims that pass the `ci` role, with `extra` over them. */
  function claims(harness: Harness, extra: JWTPayload = {}): JWTPayload {
    const now = nowSeconds(harness);
    return { iss: ISSUER, sub: 'alice', aud: 'coffer', iat: now, exp: now + 300, ...extra };
  }

  /** Sends a login with `role`, or with no role when it is null. */
  async function login(harness: Harness, token: string, role: string | null = 'ci', remoteAddress?: string) {
    return harness.send('update', 'login', role === null ? { jwt: token } : { role, jwt: token }, remoteAddress);
  }

  async function rejects(harness: Harness, token: string, message: string, status = 400): Promise<void> {
    await assertRejectedUnchanged(harness, () => login(harness, token), status, message);
  }

  test('returns the auth of the role', async () => {
    const harness = await setUp({
      claim_mappings: { email: 'email', '/org/name': 'org' },
      groups_claim: 'groups',
      token_ttl: '20m',
      token_max_ttl: '1h',
      token_bound_cidrs: '127.0.0.0/8',
    });
    const token = await signToken(key(), claims(harness, { email: 'alice@example.com', org: { name: 'acme' }, groups: ['admins', '', 'devs'] }));

    const response = await login(harness, token);

    assert.deepEqual(response?.auth, {
      displayName: 'alice',
      alias: { name: 'alice', metadata: { email: 'alice@example.com', org: 'acme' } },
      groupAliases: [{ name: 'admins' }, { name: 'devs' }],
      metadata: { email: 'alice@example.com', org: 'acme', role: 'ci' },
      internalData: { role: 'ci' },
      policies: ['dev'],
      ttl: 1200,
      maxTtl: 3600,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 0,
      boundCidrs: ['127.0.0.0/8'],
      noDefaultPolicy: false,
      tokenType: 'default',
      renewable: true,
    });
  });

  test('every supported algorithm verifies', async () => {
    const harness = await setUp();

    for (const alg of ALGORITHMS) {
      const response = await login(harness, await signToken(key(alg), claims(harness)));
      assert.equal(response?.auth?.alias?.name, 'alice', alg);
    }
  });

  test('static PEM keys verify', async () => {
    const harness = await setUp({}, { jwks_url: '', jwt_validation_pubkeys: [key('RS256').publicPem, key('EdDSA').publicPem] });

    const rsa = await login(harness, await signToken(key('RS256'), claims(harness), null));
    const ed = await login(harness, await signToken(key('EdDSA'), claims(harness), null));

    assert.equal(rsa?.auth?.alias?.name, 'alice');
    assert.equal(ed?.auth?.alias?.name, 'alice');
    await rejects(
      harness,
      await signToken(key('ES256'), claims(harness), null),
      'error validating token: error verifying token signature: no known key successfully validated the token signature',
    );
  });

  test('default_role applies without a role', async () => {
    const harness = await setUp({}, { default_role: 'ci' });

    const response = await login(harness, await signToken(key(), claims(harness)), null);

    assert.equal(response?.auth?.metadata?.role, 'ci');
  });

  test('time claims are checked with leeway', async () => {
    const harness = await setUp();
    const now = nowSeconds(harness);

    assert.ok(await login(harness, await signToken(key(), claims(harness, { exp: now - 30 }))));
    await rejects(harness, await signToken(key(), claims(harness, { exp: now - 61 })), 'error validating token: invalid expiration time (exp) claim: token is expired');
    await rejects(harness, await signToken(key(), claims(harness, { nbf: now + 61 })), 'error validating token: invalid not before (nbf) claim: token not yet valid');
    // A token without nbf is valid from its iat, so a future iat fails the nbf check first.
    await rejects(harness, await signToken(key(), claims(harness, { iat: now + 61 })), 'error validating token: invalid not before (nbf) claim: token not yet valid');
    await rejects(
      harness,
      await signToken(key(), claims(harness, { nbf: now, iat: now + 61 })),
      'error validating token: invalid issued at (iat) claim: token issued in the future',
    );
    await rejects(
      harness,
      await signToken(key(), claims(harness, { iat: undefined, exp: undefined })),
      'error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token',
    );
    await rejects(harness, await signToken(key(), claims(harness, { exp: 'tomorrow' as unknown as number })), 'error validating token: error parsing token: claim "exp" is not a number');
  });

  test('leeways follow the role', async () => {
    const harness = await setUp({ clock_skew_leeway: -1, expiration_leeway: 600 });
    const now = nowSeconds(harness);

    await rejects(harness, await signToken(key(), claims(harness, { exp: now - 1 })), 'error validating token: invalid expiration time (exp) claim: token is expired');
    // Without exp, the token lives expiration_leeway seconds after iat.
    assert.ok(await login(harness, await signToken(key(), claims(harness, { exp: undefined, iat: now - 500 }))));
    await rejects(
      harness,
      await signToken(key(), claims(harness, { exp: undefined, iat: now - 700 })),
      'error validating token: invalid expiration time (exp) claim: token is expired',
    );
  });

  test('expired token is rejected as time passes', async () => {
    const harness = await setUp();
    const token = await signToken(key(), claims(harness));
    assert.ok(await login(harness, token));

    harness.clock.ms += 361_000;

    await rejects(harness, token, 'error validating token: invalid expiration time (exp) claim: token is expired');
  });

  test('issuer, subject and audience are checked', async () => {
    const harness = await setUp({ bound_subject: 'alice', bound_audiences: 'coffer,vault' });

    assert.ok(await login(harness, await signToken(key(), claims(harness, { aud: ['other', 'vault'] }))));
    await rejects(harness, await signToken(key(), claims(harness, { iss: 'https://evil.test' })), 'error validating token: invalid issuer (iss) claim');
    await rejects(harness, await signToken(key(), claims(harness, { sub: 'mallory' })), 'error validating token: invalid subject (sub) claim');
    await rejects(
      harness,
      await signToken(key(), claims(harness, { aud: 'other' })),
      'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
    );
    await rejects(
      harness,
      await signToken(key(), claims(harness, { aud: undefined })),
      'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
    );
  });

  test('audience without bound audiences is rejected', async () => {
    const harness = await setUp({ bound_audiences: [], bound_subject: 'alice' });

    assert.ok(await login(harness, await signToken(key(), claims(harness, { aud: undefined }))));
    await rejects(harness, await signToken(key(), claims(harness)), 'audience claim found in JWT but no audiences bound to the role');
  });

  test('bad signatures and algorithms are rejected', async () => {
    const harness = await setUp({}, { jwt_supported_algs: 'ES256,RS256' });
    const impostor = await makeKey('ES256', key().kid);
    const valid = await signToken(key(), claims(harness));
    const [header, payload] = valid.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims(harness, { sub: 'root' }))).toString('base64url')}.${valid.split('.')[2]}`;

    await rejects(harness, await signToken(impostor, claims(harness)), 'error validating token: error verifying token signature: failed to verify id token signature');
    await rejects(harness, tampered, 'error validating token: error verifying token signature: failed to verify id token signature');
    await rejects(
      harness,
      await signToken(key('PS256'), claims(harness)),
      'error validating token: invalid algorithm (alg) header parameter: token signed with unexpected algorithm',
    );
    await rejects(harness, `${header}.${payload}`, 'error validating token: error parsing token: Invalid Compact JWS');
    await rejects(harness, 'not-a-jwt', 'error validating token: error parsing token: Invalid Compact JWS');
  });

  test('unsigned token is rejected', async () => {
    const harness = await setUp();
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims(harness))).toString('base64url');

    await rejects(harness, `${header}.${payload}.`, 'error validating token: invalid algorithm (alg) header parameter: token signed with unexpected algorithm');
  });

  test('bound claims must match', async () => {
    const harness = await setUp({ bound_claims: { env: ['prod', 'staging'], '/org/id': 42, admin: true } });
    const base = { env: 'prod', org: { id: 42 }, admin: true };

    assert.ok(await login(harness, await signToken(key(), claims(harness, { ...base, env: ['dev', 'staging'] }))));
    await rejects(
      harness,
      await signToken(key(), claims(harness, { ...base, env: 'dev' })),
      'error validating claims: claim "env" does not match any associated bound claim values',
    );
    await rejects(harness, await signToken(key(), claims(harness, { ...base, env: undefined })), 'error validating claims: claim "env" is missing');
    await rejects(
      harness,
      await signToken(key(), claims(harness, { ...base, org: { id: '42' } })),
      'error validating claims: claim "/org/id" does not match any associated bound claim values',
    );
    await rejects(harness, await signToken(key(), claims(harness, { ...base, env: { name: 'prod' } })), 'error validating claims: received claim "env" is not a string or list');
  });

  test('glob bound claims match patterns', async () => {
    const harness = await setUp({ bound_claims: { ref: ['refs/heads/*', 'refs/tags/v*-rc'] }, bound_claims_type: 'glob' });

    assert.ok(await login(harness, await signToken(key(), claims(harness, { ref: 'refs/heads/main' }))));
    assert.ok(await login(harness, await signToken(key(), claims(harness, { ref: 'refs/tags/v2-rc' }))));
    await rejects(
      harness,
      await signToken(key(), claims(harness, { ref: 'refs/tags/v2' })),
      'error validating claims: claim "ref" does not match any associated bound claim values',
    );
  });

  test('string bound claims take stars literally', async () => {
    const harness = await setUp({ bound_claims: { ref: 'refs/heads/*' } });

    assert.ok(await login(harness, await signToken(key(), claims(harness, { ref: 'refs/heads/*' }))));
    await rejects(
      harness,
      await signToken(key(), claims(harness, { ref: 'refs/heads/main' })),
      'error validating claims: claim "ref" does not match any associated bound claim values',
    );
  });

  test('user and groups claims are checked', async () => {
    const harness = await setUp({ user_claim: 'email', groups_claim: '/realm/groups', claim_mappings: { dept: 'dept' } });
    const groups = { realm: { groups: ['ops'] } };

    await rejects(harness, await signToken(key(), claims(harness, groups)), 'claim "email" not found in token');
    await rejects(harness, await signToken(key(), claims(harness, { ...groups, email: 7 })), 'claim "email" could not be converted to string');
    await rejects(harness, await signToken(key(), claims(harness, { email: 'a@b' })), 'failed to fetch groups: "/realm/groups" claim not found in token');
    await rejects(
      harness,
      await signToken(key(), claims(harness, { email: 'a@b', realm: { groups: { ops: true } } })),
      '"/realm/groups" claim could not be converted to string list',
    );
    await rejects(harness, await signToken(key(), claims(harness, { email: 'a@b', realm: { groups: ['ops', 3] } })), 'value 3 in groups claim could not be parsed as string');
    await rejects(harness, await signToken(key(), claims(harness, { ...groups, email: 'a@b', dept: ['x'] })), 'error converting claim "dept" to string');
  });

  test('user claim as a JSON pointer', async () => {
    const harness = await setUp({ user_claim: '/user/name', user_claim_json_pointer: true });

    const response = await login(harness, await signToken(key(), claims(harness, { user: { name: 'bob' } })));

    assert.equal(response?.auth?.alias?.name, 'bob');
  });

  test('request problems are rejected', async () => {
    const harness = await setUp();
    await harness.send('create', 'role/web', { user_claim: 'sub', allowed_redirect_uris: 'http://127.0.0.1/cb' });
    const token = await signToken(key(), claims(harness));

    await assertRejectedUnchanged(harness, () => login(harness, token, 'nope'), 400, 'role "nope" could not be found');
    await assertRejectedUnchanged(harness, () => login(harness, token, null), 400, 'missing role');
    await assertRejectedUnchanged(harness, () => login(harness, token, 'web'), 400, 'role with oidc role_type is not allowed');
    await assertRejectedUnchanged(harness, () => login(harness, ''), 400, 'missing token');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'login', { role: 'ci', jwt: token, extra: 1 }), 400, 'unknown field "extra"');
  });

  test('login before config is rejected', async () => {
    const harness = await createHarness();

    await assertRejects(harness.send('update', 'login', { role: 'ci', jwt: 'x.y.z' }), 400, 'could not load configuration');
  });

  test('bound CIDRs admit matching addresses only', async () => {
    const harness = await setUp({ token_bound_cidrs: '10.0.0.0/8' });
    const token = await signToken(key(), claims(harness));

    assert.ok(await login(harness, token, 'ci', '10.1.2.3'));
    await assertRejects(login(harness, token, 'ci', '192.168.0.1'), 403, 'permission denied');
  });

  test('renewal needs the role and its policies', async () => {
    const harness = await setUp({ token_ttl: '10m', token_max_ttl: '1h' });

    const renewed = await harness.renew(['default', 'dev'], { role: 'ci' });
    assert.deepEqual(renewed?.auth, { policies: ['default', 'dev'], ttl: 600, maxTtl: 3600, period: 0 });

    await harness.send('update', 'role/ci', { token_policies: 'ops' });
    await assertRejects(harness.renew(['default', 'dev'], { role: 'ci' }), 400, 'policies have changed, not renewing');
    await harness.send('delete', 'role/ci');
    await assertRejects(harness.renew(['default', 'ops'], { role: 'ci' }), 400, 'role "ci" does not exist during renewal');
  });
});
