import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';
const ISSUER = 'https://ci.example.test';

const CI_POLICY = `
path "secret/data/ci/*" {
  capabilities = ["read"]
}
`;

/** Signs `claims` as an ES256 JWT with `kid`, using node:crypto alone. */
function signEs256(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'ES256', typ: 'JWT', kid })}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('jwt over HTTP', () => {
  let server: RunningServer;
  let jwksServer: Server;
  let privateKey: KeyObject;

  function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: ISSUER, sub: 'pipeline-7', aud: 'coffer', iat: now, exp: now + 300, ...extra };
  }

  before(async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    privateKey = pair.privateKey;
    const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'ci-key', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`;

    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'POST', 'sys/auth/jwt', { token: ROOT, body: { type: 'jwt' } })).status, 204);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/ci-read', { token: ROOT, body: { policy: CI_POLICY } })).status, 204);
    await api(server, 'POST', 'secret/data/ci/deploy-key', { token: ROOT, body: { data: { key: 'ci-value' } } });
    await api(server, 'POST', 'secret/data/prod/db', { token: ROOT, body: { data: { password: 'prod-value' } } });
    const configured = await api(server, 'POST', 'auth/jwt/config', { token: ROOT, body: { jwks_url: jwksUrl, bound_issuer: ISSUER } });
    assert.equal(configured.status, 204, JSON.stringify(configured.body));
    const role = await api(server, 'POST', 'auth/jwt/role/ci', {
      token: ROOT,
      body: { role_type: 'jwt', user_claim: 'sub', bound_audiences: 'coffer', token_policies: 'ci-read', token_ttl: '20m', token_max_ttl: '1h' },
    });
    assert.equal(role.status, 204, JSON.stringify(role.body));
  });
  after(async () => {
    await server.close();
    jwksServer.closeAllConnections();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  test('login token reads what its policy grants', async () => {
    const login = await api(server, 'POST', 'auth/jwt/login', { body: { role: 'ci', jwt: signEs256(privateKey, 'ci-key', claims()) } });

    assert.equal(login.status, 200, JSON.stringify(login.body));
    const auth = login.body.auth;
    assert.deepEqual(auth.policies, ['ci-read', 'default']);
    assert.deepEqual(auth.metadata, { role: 'ci' });
    assert.equal(auth.lease_duration, 1200);
    assert.equal(auth.renewable, true);

    const granted = await api(server, 'GET', 'secret/data/ci/deploy-key', { token: auth.client_token });
    const denied = await api(server, 'GET', 'secret/data/prod/db', { token: auth.client_token });
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.data.data, { key: 'ci-value' });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { errors: ['permission denied'] });
  });

  test('login token renews', async () => {
    const login = await api(server, 'POST', 'auth/jwt/login', { body: { role: 'ci', jwt: signEs256(privateKey, 'ci-key', claims()) } });

    const renewed = await api(server, 'POST', 'auth/token/renew-self', { token: login.body.auth.client_token, body: {} });

    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.auth.lease_duration, 1200);
  });

  test('expired token gets Vault\'s error', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = signEs256(privateKey, 'ci-key', claims({ iat: now - 900, exp: now - 600 }));

    const response = await api(server, 'POST', 'auth/jwt/login', { body: { role: 'ci', jwt } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['error validating token: invalid expiration time (exp) claim: token is expired'] });
  });

  test('oidc is another name for the method', async () => {
    const enabled = await api(server, 'POST', 'sys/auth/oidc', { token: ROOT, body: { type: 'oidc' } });
    const role = await api(server, 'POST', 'auth/oidc/role/web', {
      token: ROOT,
      body: { user_claim: 'email', allowed_redirect_uris: 'http://127.0.0.1:8250/oidc/callback' },
    });
    const read = await api(server, 'GET', 'auth/oidc/role/web', { token: ROOT });

    assert.equal(enabled.status, 204, JSON.stringify(enabled.body));
    assert.equal(role.status, 204, JSON.stringify(role.body));
    assert.equal(read.body.data.role_type, 'oidc');
  });
});
