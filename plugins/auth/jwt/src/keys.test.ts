import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestProvider, type TestProvider } from './test-provider.js';
import { assertRejects, createHarness, makeKey, nowSeconds, signToken, startJwksServer, type Harness, type JwksServer, type TestKey } from './test-support.js';

const TIMING = { refreshIntervalMs: 10_000, maxAgeMs: 3_600_000 };
const NO_MATCHING_KEY = 'error validating token: error verifying token signature: no key in the key set matches the token header';

describe('key cache', () => {
  let first: TestKey;
  let second: TestKey;
  let third: TestKey;
  let jwks: JwksServer;

  before(async () => {
    first = await makeKey('RS256', 'first');
    second = await makeKey('RS256', 'second');
    third = await makeKey('ES256', 'third');
    jwks = await startJwksServer([]);
  });
  after(() => jwks.close());

  async function setUp(): Promise<Harness> {
    jwks.keys = [first.publicJwk];
    const harness = await createHarness(TIMING);
    await harness.send('update', 'config', { jwks_url: jwks.url });
    await harness.send('create', 'role/ci', { role_type: 'jwt', user_claim: 'sub', bound_subject: 'alice' });
    return harness;
  }

  async function login(harness: Harness, key: TestKey) {
    const now = nowSeconds(harness);
    const token = await signToken(key, { sub: 'alice', iat: now, exp: now + 60 });
    return harness.send('update', 'login', { role: 'ci', jwt: token });
  }

  test('key set is fetched once and cached', async () => {
    const harness = await setUp();
    const before = jwks.requests;

    await login(harness, first);
    await login(harness, first);

    assert.equal(jwks.requests, before + 1);
    assert.equal(harness.context.keys.fetchCount, 1);
  });

  test('unknown kid refetches the key set', async () => {
    const harness = await setUp();
    await login(harness, first);
    harness.clock.ms += 11_000;
    jwks.keys = [first.publicJwk, second.publicJwk];

    const response = await login(harness, second);

    assert.equal(response?.auth?.alias?.name, 'alice');
    assert.equal(harness.context.keys.fetchCount, 2);
  });

  test('refetches are rate limited', async () => {
    const harness = await setUp();
    await login(harness, first);
    jwks.keys = [first.publicJwk, second.publicJwk, third.publicJwk];

    // Within the interval the cached set is used, however many unknown kids arrive.
    await assertRejects(login(harness, second), 400, NO_MATCHING_KEY);
    await assertRejects(login(harness, third), 400, NO_MATCHING_KEY);
    assert.equal(harness.context.keys.fetchCount, 1);

    harness.clock.ms += 10_000;
    assert.equal((await login(harness, second))?.auth?.alias?.name, 'alice');
    assert.equal((await login(harness, third))?.auth?.alias?.name, 'alice');
    assert.equal(harness.context.keys.fetchCount, 2);
  });

  test('an old key set is fetched again', async () => {
    const harness = await setUp();
    await login(harness, first);
    jwks.keys = [second.publicJwk];

    harness.clock.ms += TIMING.maxAgeMs;

    await assertRejects(login(harness, first), 400, NO_MATCHING_KEY);
    assert.equal(harness.context.keys.fetchCount, 2);
  });

  test('token without kid tries every key', async () => {
    const harness = await setUp();
    jwks.keys = [first.publicJwk, second.publicJwk];
    await harness.send('update', 'config', { jwks_url: jwks.url });
    const now = nowSeconds(harness);

    const response = await harness.send('update', 'login', { role: 'ci', jwt: await signToken(second, { sub: 'alice', iat: now, exp: now + 60 }, null) });

    assert.equal(response?.auth?.alias?.name, 'alice');
  });

  test('config write drops the cached set', async () => {
    const harness = await setUp();
    await login(harness, first);
    jwks.keys = [second.publicJwk];

    await harness.send('update', 'config', { jwks_url: jwks.url });

    assert.equal((await login(harness, second))?.auth?.alias?.name, 'alice');
  });

  test('unreachable key set fails the login', async () => {
    const harness = await setUp();
    await login(harness, first);
    jwks.status = 500;
    harness.clock.ms += TIMING.maxAgeMs;

    try {
      await assertRejects(login(harness, first), 400, `error fetching jwks keyset: fetching "${jwks.url}" returned status 500`);
    } finally {
      jwks.status = 200;
    }
  });
});

describe('discovery key source', () => {
  let provider: TestProvider;

  before(async () => {
    provider = await startTestProvider();
  });
  after(() => provider.close());

  test('tokens of the issuer verify', async () => {
    const harness = await createHarness();
    await harness.send('update', 'config', { oidc_discovery_url: provider.issuer });
    await harness.send('create', 'role/ci', { role_type: 'jwt', user_claim: 'sub', bound_audiences: 'coffer' });
    const now = nowSeconds(harness);
    const good = { iss: provider.issuer, sub: 'svc', aud: 'coffer', iat: now, exp: now + 60 };

    const response = await harness.send('update', 'login', { role: 'ci', jwt: await signToken(provider.key, good) });

    assert.equal(response?.auth?.alias?.name, 'svc');
    await assertRejects(
      harness.send('update', 'login', { role: 'ci', jwt: await signToken(provider.key, { ...good, iss: 'https://other.test' }) }),
      400,
      'error validating token: invalid issuer (iss) claim',
    );
  });

  test('audience needs no bound audiences', async () => {
    const harness = await createHarness();
    await harness.send('update', 'config', { oidc_discovery_url: provider.issuer });
    await harness.send('create', 'role/ci', { role_type: 'jwt', user_claim: 'sub', bound_subject: 'svc' });
    const now = nowSeconds(harness);

    const jwt = await signToken(provider.key, { iss: provider.issuer, sub: 'svc', aud: 'anything', iat: now, exp: now + 60 });
    const response = await harness.send('update', 'login', { role: 'ci', jwt });

    assert.equal(response?.auth?.alias?.name, 'svc');
  });
});
