import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { redirectAllowed } from './path-oidc.js';
import { followAuthUrl, startTestProvider, type TestProvider } from './test-provider.js';
import { assertRejectedUnchanged, assertRejects, createHarness, dataOf, recordingLogger, type Harness, type LogEntry } from './test-support.js';

const REDIRECT = 'http://127.0.0.1:8250/oidc/callback';

describe('oidc flow', () => {
  let provider: TestProvider;

  before(async () => {
    provider = await startTestProvider({ sub: 'user-1', email: 'alice@example.com', groups: ['staff'] });
  });
  after(() => provider.close());

  async function setUp(role: Record<string, unknown> = {}, log: LogEntry[] = []): Promise<Harness> {
    provider.overrides = {};
    const harness = await createHarness(undefined, recordingLogger(log));
    await harness.send('update', 'config', {
      oidc_discovery_url: provider.issuer,
      oidc_client_id: provider.clientId,
      oidc_client_secret: provider.clientSecret,
      default_role: 'web',
    });
    await harness.send('create', 'role/web', {
      user_claim: 'email',
      groups_claim: 'groups',
      allowed_redirect_uris: [REDIRECT],
      oidc_scopes: 'email,profile',
      token_policies: 'staff',
      ...role,
    });
    return harness;
  }

  async function authUrl(harness: Harness, data: Record<string, unknown> = {}): Promise<string> {
    return String(dataOf(await harness.send('update', 'oidc/auth_url', { role: 'web', redirect_uri: REDIRECT, ...data })).auth_url);
  }

  /** Runs auth_url and the provider's redirect, and returns the callback's query. */
  async function authorize(harness: Harness, data: Record<string, unknown> = {}): Promise<Record<string, string>> {
    return Object.fromEntries(await followAuthUrl(await authUrl(harness, data)));
  }

  test('auth URL names the client, scopes and PKCE challenge', async () => {
    const harness = await setUp({ max_age: '5m' });

    const url = new URL(await authUrl(harness));

    assert.equal(`${url.origin}${url.pathname}`, `${provider.issuer}/authorize`);
    assert.equal(url.searchParams.get('client_id'), provider.clientId);
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('scope'), 'openid email profile');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('max_age'), '300');
    assert.match(url.searchParams.get('state') ?? '', /^[\w-]{43}$/);
    assert.match(url.searchParams.get('nonce') ?? '', /^[\w-]{43}$/);
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.equal(harness.context.oidcStates.size, 1);
  });

  test('callback returns the login', async () => {
    const harness = await setUp();
    const query = await authorize(harness);

    const response = await harness.send('read', 'oidc/callback', { ...query, session_state: 'provider-extra' });

    assert.deepEqual(response?.auth, {
      displayName: 'alice@example.com',
      alias: { name: 'alice@example.com', metadata: {} },
      groupAliases: [{ name: 'staff' }],
      metadata: { role: 'web' },
      internalData: { role: 'web' },
      policies: ['staff'],
      ttl: 0,
      maxTtl: 0,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 0,
      boundCidrs: [],
      noDefaultPolicy: false,
      tokenType: 'default',
      renewable: true,
    });
    const exchange = provider.tokenRequests.at(-1)!;
    assert.equal(exchange.grant_type, 'authorization_code');
    assert.equal(exchange.redirect_uri, REDIRECT);
    assert.equal(exchange.client_secret, undefined);
  });

  test('PKCE verifier matches the challenge', async () => {
    const harness = await setUp();
    const url = new URL(await authUrl(harness));
    const query = Object.fromEntries(await followAuthUrl(url.toString()));

    await harness.send('read', 'oidc/callback', query);

    const verifier = provider.tokenRequests.at(-1)!.code_verifier;
    assert.equal(createHash('sha256').update(verifier).digest('base64url'), url.searchParams.get('code_challenge'));
  });

  test('verbose logging omits tokens and secrets', async () => {
    const log: LogEntry[] = [];
    const harness = await setUp({ verbose_oidc_logging: true }, log);
    const query = await authorize(harness);

    await harness.send('read', 'oidc/callback', query);

    const logged = JSON.stringify(log);
    assert.deepEqual(
      log.map((entry) => [entry.level, entry.message]),
      [['debug', 'oidc provider response']],
    );
    assert.ok(logged.includes('alice@example.com'));
    assert.ok(!logged.includes(provider.issuedTokens.at(-1)!));
    assert.ok(!logged.includes(provider.clientSecret));
    assert.ok(!logged.includes(query.code));
    assert.ok(!logged.includes(query.state));
  });

  test('state is used once', async () => {
    const harness = await setUp();
    const query = await authorize(harness);
    await harness.send('read', 'oidc/callback', query);

    await assertRejects(harness.send('read', 'oidc/callback', query), 400, 'login failed: expired or missing OAuth state');
    await assertRejects(harness.send('read', 'oidc/callback', { ...query, state: 'made-up' }), 400, 'login failed: expired or missing OAuth state');
  });

  test('state expires after ten minutes', async () => {
    const harness = await setUp();
    const query = await authorize(harness);

    harness.clock.ms += 10 * 60 * 1000;

    await assertRejects(harness.send('read', 'oidc/callback', query), 400, 'login failed: expired or missing OAuth state');
  });

  test('client nonce must be repeated', async () => {
    const harness = await setUp();
    const first = await authorize(harness, { client_nonce: 'cli-nonce-1' });
    const second = await authorize(harness, { client_nonce: 'cli-nonce-2' });

    await assertRejects(harness.send('read', 'oidc/callback', first), 400, 'invalid client_nonce');
    const response = await harness.send('read', 'oidc/callback', { ...second, client_nonce: 'cli-nonce-2' });
    assert.equal(response?.auth?.alias?.name, 'alice@example.com');
  });

  test('ID token nonce must match', async () => {
    const harness = await setUp();
    provider.overrides = { nonce: 'replayed-nonce' };

    await assertRejects(harness.send('read', 'oidc/callback', await authorize(harness)), 400, 'login failed: invalid ID token nonce');
  });

  test('ID token audience must be the client', async () => {
    const harness = await setUp();
    provider.overrides = { aud: 'another-client' };

    await assertRejects(
      harness.send('read', 'oidc/callback', await authorize(harness)),
      400,
      'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
    );
  });

  test('role bindings apply to the ID token', async () => {
    const harness = await setUp({ bound_claims: { groups: 'admins' }, bound_audiences: provider.clientId });

    await assertRejects(
      harness.send('read', 'oidc/callback', await authorize(harness)),
      400,
      'error validating claims: claim "groups" does not match any associated bound claim values',
    );
  });

  test('bad code is rejected by the provider', async () => {
    const harness = await setUp();
    const query = await authorize(harness);

    await assertRejects(
      harness.send('read', 'oidc/callback', { ...query, code: 'forged' }),
      400,
      'login failed: error exchanging oidc code: the token endpoint returned status 400 (invalid_grant)',
    );
  });

  test('provider error is reported', async () => {
    const harness = await setUp();
    const query = await authorize(harness);

    await assertRejects(harness.send('read', 'oidc/callback', { ...query, error_description: 'user cancelled' }), 400, 'login failed: user cancelled');
  });

  test('disallowed redirect gets an empty URL', async () => {
    const harness = await setUp();

    assert.equal(await authUrl(harness, { redirect_uri: 'https://evil.test/callback' }), '');
    assert.equal(await authUrl(harness, { redirect_uri: 'http://127.0.0.1:9999/other' }), '');
    assert.equal(harness.context.oidcStates.size, 0);
  });

  test('auth URL request problems are rejected', async () => {
    const harness = await setUp();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'oidc/auth_url', { role: 'web' }), 400, 'missing redirect_uri');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'oidc/auth_url', { role: 'nope', redirect_uri: REDIRECT }), 400, 'role "nope" could not be found');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'oidc/auth_url', { redirect_uri: REDIRECT, extra: 1 }), 400, 'unknown field "extra"');
  });

  test('auth URL needs an OIDC client', async () => {
    const harness = await createHarness();
    await harness.send('update', 'config', { oidc_discovery_url: provider.issuer });

    await assertRejects(harness.send('update', 'oidc/auth_url', { role: 'web', redirect_uri: REDIRECT }), 400, 'OIDC login is not configured for this mount');
  });
});

describe('redirect URI check', () => {
  test('exact match off loopback', () => {
    assert.equal(redirectAllowed('https://coffer.test/ui/callback', ['https://COFFER.test/ui/callback']), true);
    assert.equal(redirectAllowed('https://coffer.test:8443/ui/callback', ['https://coffer.test/ui/callback']), false);
  });

  test('any port on loopback', () => {
    assert.equal(redirectAllowed('http://127.0.0.1:41234/oidc/callback', [REDIRECT]), true);
    assert.equal(redirectAllowed('http://localhost:5000/oidc/callback', ['http://localhost/oidc/callback']), true);
    assert.equal(redirectAllowed('http://[::1]:5000/cb', ['http://[::1]:8250/cb']), true);
    assert.equal(redirectAllowed('http://127.0.0.1:41234/oidc/other', [REDIRECT]), false);
    assert.equal(redirectAllowed('not a url', [REDIRECT]), false);
  });
});
