import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestProvider, type TestProvider } from './test-provider.js';
import {
  assertRejectedUnchanged,
  createHarness,
  dataOf,
  makeKey,
  MOUNT_PREFIX,
  startJwksServer,
  unusedUrl,
  type JwksServer,
  type TestKey,
} from './test-support.js';

const NO_SOURCE = 'exactly one of "jwt_validation_pubkeys", "jwks_url" or "oidc_discovery_url" must be set';

describe('config', () => {
  let key: TestKey;
  let jwks: JwksServer;
  let provider: TestProvider;

  before(async () => {
    key = await makeKey('ES256');
    jwks = await startJwksServer([key.publicJwk]);
    provider = await startTestProvider();
  });
  after(async () => {
    await jwks.close();
    await provider.close();
  });

  test('static keys are stored and read back', async () => {
    const harness = await createHarness();

    const written = await harness.send('update', 'config', {
      jwt_validation_pubkeys: [key.publicPem],
      bound_issuer: 'https://issuer.test',
      jwt_supported_algs: 'ES256,RS256',
      default_role: 'Ci',
    });

    assert.equal(written, null);
    assert.deepEqual(dataOf(await harness.send('read', 'config')), {
      oidc_discovery_url: '',
      oidc_discovery_ca_pem: '',
      oidc_client_id: '',
      jwks_url: '',
      jwks_ca_pem: '',
      jwt_validation_pubkeys: [key.publicPem],
      jwt_supported_algs: ['ES256', 'RS256'],
      bound_issuer: 'https://issuer.test',
      default_role: 'ci',
    });
  });

  test('read before any write is empty', async () => {
    const harness = await createHarness();

    assert.equal(await harness.send('read', 'config'), null);
  });

  test('jwks URL is fetched at write', async () => {
    const harness = await createHarness();
    const before = jwks.requests;

    await harness.send('update', 'config', { jwks_url: jwks.url });

    assert.equal(jwks.requests, before + 1);
    assert.equal(dataOf(await harness.send('read', 'config')).jwks_url, jwks.url);
  });

  test('client secret is stored but never read back', async () => {
    const harness = await createHarness();

    await harness.send('update', 'config', {
      oidc_discovery_url: provider.issuer,
      oidc_client_id: provider.clientId,
      oidc_client_secret: provider.clientSecret,
    });

    const data = dataOf(await harness.send('read', 'config'));
    assert.equal(data.oidc_client_id, provider.clientId);
    assert.equal(data.oidc_discovery_url, provider.issuer);
    assert.equal('oidc_client_secret' in data, false);
    assert.ok(!JSON.stringify(data).includes(provider.clientSecret));
    const stored = await harness.storage.get(`${MOUNT_PREFIX}config`);
    assert.ok(stored?.value.toString('utf8').includes(provider.clientSecret));
  });

  test('a write replaces the whole config', async () => {
    const harness = await createHarness();
    await harness.send('update', 'config', { jwt_validation_pubkeys: key.publicPem, bound_issuer: 'https://issuer.test' });

    await harness.send('update', 'config', { jwks_url: jwks.url });

    const data = dataOf(await harness.send('read', 'config'));
    assert.deepEqual(data.jwt_validation_pubkeys, []);
    assert.equal(data.bound_issuer, '');
    assert.equal(data.jwks_url, jwks.url);
  });

  test('invalid fields are rejected', async () => {
    const harness = await createHarness();
    await harness.send('update', 'config', { jwt_validation_pubkeys: key.publicPem });
    const privatePem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB9pC3Kb5B2WkH8m3hK1vY3yDqFzG2N4kQYwJ0VY1cJx\n-----END PRIVATE KEY-----';
    const cases: [Record<string, unknown>, string][] = [
      [{}, NO_SOURCE],
      [{ bound_issuer: 'x' }, NO_SOURCE],
      [{ jwt_validation_pubkeys: key.publicPem, jwks_url: jwks.url }, NO_SOURCE],
      [{ jwks_url: jwks.url, oidc_discovery_url: provider.issuer }, NO_SOURCE],
      [{ oidc_discovery_url: provider.issuer, oidc_client_id: 'id' }, 'both "oidc_client_id" and "oidc_client_secret" must be set for OIDC'],
      [{ oidc_discovery_url: provider.issuer, oidc_client_secret: 's' }, 'both "oidc_client_id" and "oidc_client_secret" must be set for OIDC'],
      [{ jwks_url: jwks.url, oidc_client_id: 'id', oidc_client_secret: 's' }, '"oidc_discovery_url" must be set for OIDC'],
      [
        { jwt_validation_pubkeys: key.publicPem, jwt_supported_algs: 'RS256,HS256' },
        'invalid "jwt_supported_algs" entry "HS256": must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      ],
      [
        { jwt_validation_pubkeys: [key.publicPem, privatePem] },
        'invalid "jwt_validation_pubkeys" entry 2: error parsing public key: a private key was given, expected a public key or certificate',
      ],
      [{ jwks_url: jwks.url, jwks_ca_pem: 'not a pem' }, 'invalid "jwks_ca_pem": no PEM certificate found'],
      [{ jwks_url: 'ftp://127.0.0.1/keys' }, 'invalid "jwks_url": "ftp://127.0.0.1/keys" is not an http or https URL'],
      [{ oidc_discovery_url: 'not a url' }, 'invalid "oidc_discovery_url": "not a url" is not a valid URL'],
      [{ jwks_url: jwks.url, colour: 'blue' }, 'unknown field "colour"'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config', data), 400, message);
    }
  });

  test('unparseable public key is rejected', async () => {
    const harness = await createHarness();

    await assert.rejects(harness.send('update', 'config', { jwt_validation_pubkeys: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }), (err: Error) => {
      assert.match(err.message, /^invalid "jwt_validation_pubkeys" entry 1: error parsing public key: /);
      return true;
    });
    assert.equal(await harness.send('read', 'config'), null);
  });

  test('unreachable jwks URL is rejected', async () => {
    const harness = await createHarness();
    const url = await unusedUrl('/keys');
    const port = new URL(url).port;

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { jwks_url: url }),
      400,
      `error checking jwks URL "${url}": connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  test('jwks URL answering an error is rejected', async () => {
    const harness = await createHarness();
    jwks.status = 503;

    try {
      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'config', { jwks_url: jwks.url }),
        400,
        `error checking jwks URL "${jwks.url}": fetching "${jwks.url}" returned status 503`,
      );
    } finally {
      jwks.status = 200;
    }
  });

  test('unreachable discovery URL is rejected', async () => {
    const harness = await createHarness();
    const url = (await unusedUrl('')).replace(/\/$/, '');
    const port = new URL(url).port;

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { oidc_discovery_url: url }),
      400,
      `error checking oidc discovery URL "${url}": connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  test('discovery issuer must match the URL', async () => {
    const harness = await createHarness();
    const url = `${provider.issuer}/`;

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { oidc_discovery_url: url }),
      400,
      `error checking oidc discovery URL "${url}": issuer did not match the issuer returned by provider, expected "${url}" got "${provider.issuer}"`,
    );
  });
});
