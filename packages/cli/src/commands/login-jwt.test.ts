import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

/** Signs `claims` as an ES256 JWT with node:crypto. */
function signEs256(privateKey: KeyObject, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'ES256', typ: 'JWT' })}.${encode(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('login jwt', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let privateKey: KeyObject;

  const token = (extra: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return signEs256(privateKey, { sub: 'build-42', aud: 'coffer', iat: now, exp: now + 300, ...extra });
  };

  before(async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    privateKey = pair.privateKey;
    const publicPem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    const setup = [
      ['auth', 'enable', 'jwt'],
      ['write', 'auth/jwt/config', `jwt_validation_pubkeys=${publicPem}`],
      ['write', 'auth/jwt/role/ci', 'role_type=jwt', 'user_claim=sub', 'bound_audiences=coffer', 'token_policies=default'],
    ];
    for (const argv of setup) {
      const result = await runCli(argv, { env: server.env });
      assert.equal(result.code, 0, result.stderr);
    }
  });

  after(async () => {
    await server.close();
  });

  test('stores the token of the login', async () => {
    const login = await runCli(['login', '-method=jwt', '-field=token_meta_role', 'role=ci', `jwt=${token()}`], { env });

    assert.deepEqual(login, { code: 0, stdout: 'ci', stderr: '' });
  });

  test('token from stdin', async () => {
    const login = await runCli(['login', '-method=jwt', '-token-only', 'role=ci', 'jwt=-'], { env, stdin: token() });

    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^hvs\./);
  });

  test('expired token exits 2', async () => {
    const now = Math.floor(Date.now() / 1000);

    const login = await runCli(['login', '-method=jwt', 'role=ci', `jwt=${token({ iat: now - 900, exp: now - 600 })}`], { env });

    assert.deepEqual(login, {
      code: 2,
      stdout: '',
      stderr:
        `Error authenticating: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/jwt/login\nCode: 400. Errors:\n\n` +
        '* error validating token: invalid expiration time (exp) claim: token is expired\n',
    });
  });

  test('missing jwt exits 1', async () => {
    const login = await runCli(['login', '-method=jwt', 'role=ci'], { env });

    assert.deepEqual(login, { code: 1, stdout: '', stderr: "'jwt' must be specified: coffer login -method=jwt role=ROLE jwt=TOKEN\n" });
  });
});
