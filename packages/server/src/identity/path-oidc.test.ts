/**
 * Identity tokens end to end over HTTP: issued for entities of real logins,
 * verified with `jose` against the JWKS this server publishes, with the
 * `openssl` command, by introspection and by Coffer's own `jwt` auth method.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { callerFor, enableAuth, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

const execFileAsync = promisify(execFile);
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Encodes an ECDSA signature given as r || s in the DER form `openssl dgst` reads. */
function ecdsaDer(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Buffer): Buffer => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
    let value = bytes.subarray(start);
    if (value[0] >= 0x80) value = Buffer.concat([Buffer.from([0]), value]);
    return Buffer.concat([Buffer.from([0x02, value.length]), value]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  const length = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), length, body]);
}

describe('identity tokens', () => {
  let server: RunningServer;
  let call: Caller;
  let issuer: string;
  let approleAccessor: string;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
    issuer = `${server.address}/v1/identity/oidc`;
    await enableAuth(call, 'userpass', 'userpass');
    approleAccessor = await enableAuth(call, 'approle', 'approle');
    const policy = 'path "identity/oidc/token/*" {\n  capabilities = ["read"]\n}\npath "identity/oidc/introspect" {\n  capabilities = ["update"]\n}\n';
    expectStatus(await call('PUT', 'sys/policies/acl/oidc-user', { policy }), 204, 'policy');
  });
  after(() => server.close());

  /** Creates a userpass user, logs in and returns the token and its entity. */
  async function login(username: string, policies = 'oidc-user'): Promise<{ token: string; entityId: string }> {
    expectStatus(await call('POST', `auth/userpass/users/${username}`, { password: 'pass-word-1', token_policies: policies }), 204, `user ${username}`);
    const response = await call('POST', `auth/userpass/login/${username}`, { password: 'pass-word-1' });
    expectStatus(response, 200, `login ${username}`);
    return { token: response.body.auth.client_token, entityId: response.body.auth.entity_id };
  }

  /** Creates a key and a role on it that any client ID may use; returns the role's client ID. */
  async function keyAndRole(name: string, key: Record<string, unknown>, role: Record<string, unknown> = {}): Promise<string> {
    expectStatus(await call('POST', `identity/oidc/key/${name}`, { allowed_client_ids: '*', ...key }), 204, `key ${name}`);
    expectStatus(await call('POST', `identity/oidc/role/${name}`, { key: name, ...role }), 204, `role ${name}`);
    return (await call('GET', `identity/oidc/role/${name}`)).body.data.client_id;
  }

  async function issue(token: string, role: string): Promise<string> {
    const response = await callerFor(server, token)('GET', `identity/oidc/token/${role}`);
    expectStatus(response, 200, `token of ${role}`);
    return response.body.data.token;
  }

  async function introspect(token: string, clientId?: string): Promise<unknown> {
    const response = await call('POST', 'identity/oidc/introspect', { token, ...(clientId !== undefined ? { client_id: clientId } : {}) });
    expectStatus(response, 200, 'introspect');
    return response.body;
  }

  function remoteKeys(): ReturnType<typeof createRemoteJWKSet> {
    return createRemoteJWKSet(new URL(`${issuer}/.well-known/keys`), { cacheMaxAge: 0, cooldownDuration: 0 });
  }

  async function jwksKids(): Promise<string[]> {
    return ((await api(server, 'GET', 'identity/oidc/.well-known/keys')).body.keys as { kid: string }[]).map((key) => key.kid);
  }

  test('config defaults to api address', async () => {
    const read = await call('GET', 'identity/oidc/config');
    expectStatus(read, 200, 'read config');
    assert.deepEqual(read.body.data, { issuer: '' });

    const discovery = await api(server, 'GET', 'identity/oidc/.well-known/openid-configuration');
    expectStatus(discovery, 200, 'discovery');
    assert.equal(discovery.headers.get('content-type'), 'application/json');
    assert.deepEqual(discovery.body, {
      issuer: `${server.address}/v1/identity/oidc`,
      jwks_uri: `${server.address}/v1/identity/oidc/.well-known/keys`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    });
  });

  test('config sets and validates issuer', async () => {
    const written = await call('POST', 'identity/oidc/config', { issuer: 'https://example.com:8200' });
    expectStatus(written, 200, 'write config');
    assert.equal(written.body.warnings.length, 1);
    assert.match(written.body.warnings[0], /^If "issuer" is set explicitly/);
    assert.deepEqual((await call('GET', 'identity/oidc/config')).body.data, { issuer: 'https://example.com:8200' });
    const discovery = await api(server, 'GET', 'identity/oidc/.well-known/openid-configuration');
    assert.equal(discovery.body.issuer, 'https://example.com:8200/v1/identity/oidc');

    const message = 'invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)';
    for (const issuer of ['https://Coffer.Example.com', 'https://example.com:443', 'http://[::1]:8200']) {
      expectStatus(await call('POST', 'identity/oidc/config', { issuer }), 200, `issuer ${issuer}`);
      assert.equal((await api(server, 'GET', 'identity/oidc/.well-known/openid-configuration')).body.issuer, `${issuer}/v1/identity/oidc`);
    }
    expectStatus(await call('POST', 'identity/oidc/config', { issuer: 'https://example.com:8200' }), 200, 'write config again');

    for (const issuer of [
      'ftp://example.com',
      'https://example.com/path',
      'https://example.com/',
      'example.com',
      'https://example.com?x=1',
      'https://example.com?',
      'https://example.com#top',
      'https://user@example.com',
      'https://',
      'https://:8200',
      'https://exa mple.com',
    ]) {
      const response = await call('POST', 'identity/oidc/config', { issuer });
      expectStatus(response, 400, `issuer ${issuer}`);
      assert.deepEqual(response.body.errors, [message]);
    }
    const unknown = await call('POST', 'identity/oidc/config', { issuer: 'https://other.example.com', extra: 1 });
    expectStatus(unknown, 400, 'unknown field');
    assert.deepEqual(unknown.body.errors, ['unknown field "extra"']);
    assert.deepEqual((await call('GET', 'identity/oidc/config')).body.data, { issuer: 'https://example.com:8200' }, 'unchanged after errors');

    expectStatus(await call('POST', 'identity/oidc/config', { issuer: '' }), 204, 'reset');
    assert.deepEqual((await call('GET', 'identity/oidc/config')).body.data, { issuer: '' });
  });

  test('well-known paths need no token', async () => {
    const keys = await api(server, 'GET', 'identity/oidc/.well-known/keys');
    expectStatus(keys, 200, 'keys without token');
    const config = await api(server, 'GET', 'identity/oidc/config');
    expectStatus(config, 403, 'config without token');
    const introspect = await api(server, 'POST', 'identity/oidc/introspect', { body: { token: 'a.b.c' } });
    expectStatus(introspect, 403, 'introspect without token');
  });

  test('each algorithm verifies with jose', async () => {
    const user = await login('alg-user');
    for (const algorithm of ALGORITHMS) {
      const name = `alg-${algorithm.toLowerCase()}`;
      const clientId = await keyAndRole(name, { algorithm }, { ttl: '1h' });
      const response = await callerFor(server, user.token)('GET', `identity/oidc/token/${name}`);
      expectStatus(response, 200, `token ${algorithm}`);
      assert.equal(response.body.data.client_id, clientId);
      assert.equal(response.body.data.ttl, 3600);

      const token = response.body.data.token as string;
      const header = decodeProtectedHeader(token);
      assert.equal(header.alg, algorithm);
      assert.ok((await jwksKids()).includes(header.kid!), `kid of ${algorithm} is published`);
      const { payload } = await jwtVerify(token, remoteKeys(), { issuer, audience: clientId, algorithms: [algorithm] });
      assert.equal(payload.sub, user.entityId);
      assert.equal(payload.namespace, 'root');
      assert.equal(payload.exp! - payload.iat!, 3600);
      assert.ok(Math.abs(payload.iat! - Date.now() / 1000) < 60, `iat ${payload.iat}`);
      assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'namespace', 'sub']);
    }
  });

  test('openssl verifies RS256 and ES256', async () => {
    const user = await login('openssl-user');
    const directory = await mkdtemp(join(tmpdir(), 'coffer-oidc-openssl-'));
    try {
      for (const [algorithm, digest] of [['RS256', '-sha256'], ['ES256', '-sha256']] as const) {
        const name = `openssl-${algorithm.toLowerCase()}`;
        await keyAndRole(name, { algorithm });
        const token = await issue(user.token, name);
        const [header, payload, signature] = token.split('.');
        const kid = decodeProtectedHeader(token).kid;
        const jwk = ((await api(server, 'GET', 'identity/oidc/.well-known/keys')).body.keys as (JsonWebKey & { kid: string })[]).find((key) => key.kid === kid)!;
        const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
        const raw = Buffer.from(signature, 'base64url');
        const paths = { key: join(directory, `${name}.pem`), input: join(directory, `${name}.txt`), signature: join(directory, `${name}.sig`), tampered: join(directory, `${name}-tampered.txt`) };
        await writeFile(paths.key, pem);
        await writeFile(paths.input, `${header}.${payload}`);
        await writeFile(paths.tampered, `${header}.${payload}x`);
        await writeFile(paths.signature, algorithm === 'ES256' ? ecdsaDer(raw) : raw);

        const verified = await execFileAsync('openssl', ['dgst', digest, '-verify', paths.key, '-signature', paths.signature, paths.input]);
        assert.equal(verified.stdout.trim(), 'Verified OK', `${algorithm} signature`);
        await assert.rejects(execFileAsync('openssl', ['dgst', digest, '-verify', paths.key, '-signature', paths.signature, paths.tampered]), (err: { code: number; stdout: string }) => {
          assert.equal(err.code, 1);
          assert.equal(err.stdout.trim(), 'Verification failure');
          return true;
        });
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('template renders entity data', async () => {
    expectStatus(await call('POST', 'auth/approle/role/builder', { token_policies: 'oidc-user' }), 204, 'approle role');
    const roleId = (await call('GET', 'auth/approle/role/builder/role-id')).body.data.role_id;
    const secretId = (await call('POST', 'auth/approle/role/builder/secret-id', { metadata: JSON.stringify({ team: 'payments' }) })).body.data.secret_id;
    const loggedIn = await call('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
    expectStatus(loggedIn, 200, 'approle login');
    const token = loggedIn.body.auth.client_token;
    const entityId = loggedIn.body.auth.entity_id;

    expectStatus(await call('POST', `identity/entity/id/${entityId}`, { name: 'builder-entity', metadata: { color: 'green' } }), 204, 'entity');
    const aliasId = (await call('GET', `identity/entity/id/${entityId}`)).body.data.aliases[0].id;
    expectStatus(await call('POST', `identity/entity-alias/id/${aliasId}`, { custom_metadata: { tier: 'gold' } }), 200, 'alias custom metadata');
    const team = await call('POST', 'identity/group', { name: 'oidc-team', member_entity_ids: [entityId] });
    expectStatus(team, 200, 'team');
    const department = await call('POST', 'identity/group', { name: 'oidc-department', member_group_ids: [team.body.data.id] });
    expectStatus(department, 200, 'department');

    const template = `{
      "entity": {"id": {{identity.entity.id}}, "name": {{identity.entity.name}}},
      "color": {{identity.entity.metadata.color}},
      "missing": {{identity.entity.metadata.shoe_size}},
      "metadata": {{identity.entity.metadata}},
      "groups": {{identity.entity.groups.names}},
      "group_ids": {{identity.entity.groups.ids}},
      "login": {
        "role_id": {{identity.entity.aliases.${approleAccessor}.name}},
        "team": {{identity.entity.aliases.${approleAccessor}.metadata.team}},
        "alias_metadata": {{identity.entity.aliases.${approleAccessor}.metadata}},
        "alias_id": {{identity.entity.aliases.${approleAccessor}.id}},
        "tier": {{identity.entity.aliases.${approleAccessor}.custom_metadata.tier}},
        "custom": {{identity.entity.aliases.${approleAccessor}.custom_metadata}}
      },
      "other_login": {{identity.entity.aliases.auth_none_1.name}},
      "other_metadata": {{identity.entity.aliases.auth_none_1.metadata}},
      "nbf": {{time.now}},
      "in_an_hour": {{ time.now.plus.1h }},
      "an_hour_ago": {{time.now.minus.1h}}
    }`;
    const clientId = await keyAndRole('templated', { algorithm: 'ES256' }, { template });
    const payload = decodePayload(await issue(token, 'templated'));
    const iat = payload.iat as number;
    assert.deepEqual(payload, {
      iss: issuer,
      sub: entityId,
      aud: clientId,
      iat,
      exp: iat + 86400,
      namespace: 'root',
      entity: { id: entityId, name: 'builder-entity' },
      color: 'green',
      missing: '',
      metadata: { color: 'green' },
      groups: ['oidc-team', 'oidc-department'],
      group_ids: [team.body.data.id, department.body.data.id],
      login: {
        role_id: roleId,
        team: 'payments',
        alias_metadata: { team: 'payments', role_name: 'builder' },
        alias_id: aliasId,
        tier: 'gold',
        custom: { tier: 'gold' },
      },
      other_login: '',
      other_metadata: {},
      nbf: iat,
      in_an_hour: iat + 3600,
      an_hour_ago: iat - 3600,
    });
  });

  test('template with nested objects renders', async () => {
    const user = await login('nested-user');
    const template = '{"service": {"labels": {"owner": {{identity.entity.id}}}}, "static": {"limits": {"rps": 10}}}';
    await keyAndRole('nested', {}, { template });
    assert.equal((await call('GET', 'identity/oidc/role/nested')).body.data.template, template);

    const payload = decodePayload(await issue(user.token, 'nested'));
    assert.deepEqual(payload.service, { labels: { owner: user.entityId } });
    assert.deepEqual(payload.static, { limits: { rps: 10 } });
  });

  test('template claim named __proto__ is kept', async () => {
    const user = await login('proto-user');
    await keyAndRole('proto', {}, { template: '{"__proto__": "plain claim", "constructor": {{identity.entity.id}}}' });

    const payload = decodePayload(await issue(user.token, 'proto'));
    assert.equal(Object.getOwnPropertyDescriptor(payload, '__proto__')?.value, 'plain claim');
    assert.equal(Object.getOwnPropertyDescriptor(payload, 'constructor')?.value, user.entityId);
  });

  test('token errors follow Vault', async () => {
    await keyAndRole('errors', {});
    const rootToken = await call('GET', 'identity/oidc/token/errors');
    expectStatus(rootToken, 400, 'root token');
    assert.deepEqual(rootToken.body.errors, ["no entity associated with the request's token"]);

    const user = await login('errors-user');
    const missing = await callerFor(server, user.token)('GET', 'identity/oidc/token/absent');
    expectStatus(missing, 400, 'missing role');
    assert.deepEqual(missing.body.errors, ['role "absent" not found']);

    expectStatus(await call('POST', 'identity/oidc/key/errors', { allowed_client_ids: 'someone-else' }), 204, 'narrow key');
    const notAllowed = await callerFor(server, user.token)('GET', 'identity/oidc/token/errors');
    expectStatus(notAllowed, 400, 'client not allowed');
    assert.deepEqual(notAllowed.body.errors, ['the key "errors" does not list the client ID of the role "errors" as an allowed client ID']);
    const clientId = (await call('GET', 'identity/oidc/role/errors')).body.data.client_id;
    expectStatus(await call('POST', 'identity/oidc/key/errors', { allowed_client_ids: ['someone-else', clientId] }), 204, 'allow client');
    await issue(user.token, 'errors');

    const plain = await login('no-policy-user', 'default');
    const denied = await callerFor(server, plain.token)('GET', 'identity/oidc/token/errors');
    expectStatus(denied, 403, 'policy without the path');
    assert.deepEqual(denied.body.errors, ['permission denied']);
  });

  test('introspection reports each failure', async () => {
    const user = await login('introspect-user');
    const clientId = await keyAndRole('introspect', { algorithm: 'ES256' });
    const token = await issue(user.token, 'introspect');

    assert.deepEqual(await introspect(token), { active: true });
    assert.deepEqual(await introspect(token, clientId), { active: true });
    assert.deepEqual(await introspect(token, 'other-client'), { active: false, error: 'error validating claims: validation failed, invalid audience claim (aud)' });

    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodePayload(token), sub: 'someone-else' })).toString('base64url');
    assert.deepEqual(await introspect(`${header}.${forged}.${signature}`), { active: false, error: 'unable to validate the token signature' });
    assert.deepEqual(await introspect(`${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`), { active: false, error: 'unable to validate the token signature' });
    assert.deepEqual(await introspect('not-a-token'), { active: false, error: 'error parsing token: compact JWS format must have three parts' });

    await keyAndRole('introspect-later', {}, { template: '{"nbf": {{time.now.plus.1h}}}' });
    assert.deepEqual(await introspect(await issue(user.token, 'introspect-later')), {
      active: false,
      error: 'error validating claims: validation failed, token not valid yet (nbf)',
    });
    await keyAndRole('introspect-now', {}, { template: '{"nbf": {{time.now}}}' });
    assert.deepEqual(await introspect(await issue(user.token, 'introspect-now')), { active: true });

    await keyAndRole('introspect-short', {}, { ttl: 1 });
    const short = await issue(user.token, 'introspect-short');
    await sleep(2200);
    assert.deepEqual(await introspect(short), { active: false, error: 'error validating claims: validation failed, token is expired (exp)' });

    expectStatus(await call('POST', `identity/entity/id/${user.entityId}`, { disabled: true }), 204, 'disable');
    assert.deepEqual(await introspect(token), { active: false, error: 'entity is disabled' });
    expectStatus(await call('POST', `identity/entity/id/${user.entityId}`, { disabled: false }), 204, 'enable');
    assert.deepEqual(await introspect(token), { active: true });

    expectStatus(await call('POST', 'identity/oidc/config', { issuer: 'https://elsewhere.example.com' }), 200, 'other issuer');
    assert.deepEqual(await introspect(token), { active: false, error: 'error validating claims: validation failed, invalid issuer claim (iss)' });
    expectStatus(await call('POST', 'identity/oidc/config', { issuer: '' }), 204, 'default issuer');
    assert.deepEqual(await introspect(token), { active: true });

    expectStatus(await call('DELETE', `identity/entity/id/${user.entityId}`), 204, 'delete entity');
    assert.deepEqual(await introspect(token), { active: false, error: 'entity was not found' });

    const missingToken = await call('POST', 'identity/oidc/introspect', {});
    expectStatus(missingToken, 400, 'no token');
    assert.deepEqual(missingToken.body.errors, ['missing required field "token"']);
  });

  test('manual rotation keeps old key until ttl', async () => {
    const user = await login('rotate-user');
    const clientId = await keyAndRole('rotating', { algorithm: 'ES256' });
    const first = await issue(user.token, 'rotating');
    const firstKid = decodeProtectedHeader(first).kid!;
    const before = await jwksKids();

    expectStatus(await call('POST', 'identity/oidc/key/rotating/rotate', { verification_ttl: '2s' }), 204, 'rotate');
    const second = await issue(user.token, 'rotating');
    const secondKid = decodeProtectedHeader(second).kid!;
    assert.notEqual(secondKid, firstKid);
    assert.ok(before.includes(secondKid), 'the next key was published before it signed');
    const during = await jwksKids();
    assert.ok(during.includes(firstKid), 'old key still published');
    assert.equal(during.length, before.length + 1, 'a new next key is published');
    await jwtVerify(first, remoteKeys(), { issuer, audience: clientId });
    assert.deepEqual(await introspect(first), { active: true });

    await sleep(2500);
    assert.equal((await jwksKids()).includes(firstKid), false, 'old key gone after verification_ttl');
    await assert.rejects(jwtVerify(first, remoteKeys(), { issuer, audience: clientId }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    assert.deepEqual(await introspect(first), { active: false, error: 'unable to validate the token signature' });
    await jwtVerify(second, remoteKeys(), { issuer, audience: clientId });
  });

  test('keys survive seal and unseal', async () => {
    const user = await login('seal-user');
    await keyAndRole('sealed', { algorithm: 'RS256' });
    const token = await issue(user.token, 'sealed');
    const kids = await jwksKids();

    const stored = await server.core.options.physical.get('sys/identity/oidc/key/sealed');
    assert.ok(stored !== null, 'key stored under its path');
    assert.equal(stored.value.toString('latin1').includes('PRIVATE KEY'), false, 'private key encrypted at rest');

    expectStatus(await call('PUT', 'sys/seal'), 204, 'seal');
    expectStatus(await api(server, 'GET', 'identity/oidc/.well-known/keys'), 503, 'sealed');
    expectStatus(await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } }), 200, 'unseal');

    assert.deepEqual((await jwksKids()).sort(), kids.sort());
    assert.deepEqual(await introspect(token), { active: true });
    const again = await issue(user.token, 'sealed');
    assert.equal(decodeProtectedHeader(again).kid, decodeProtectedHeader(token).kid);
  });

  test('jwt auth logs in with identity token', async () => {
    const user = await login('workload');
    const clientId = await keyAndRole('workload', { algorithm: 'ES384' }, { template: '{"team": {{identity.entity.metadata.team}}}' });
    expectStatus(await call('POST', `identity/entity/id/${user.entityId}`, { metadata: { team: 'search' } }), 204, 'entity metadata');
    const token = await issue(user.token, 'workload');

    await enableAuth(call, 'jwt', 'jwt');
    expectStatus(await call('POST', 'auth/jwt/config', { jwks_url: `${issuer}/.well-known/keys`, bound_issuer: issuer }), 204, 'jwt config');
    const role = { role_type: 'jwt', user_claim: 'sub', bound_audiences: clientId, claim_mappings: { team: 'team' }, token_policies: 'default' };
    expectStatus(await call('POST', 'auth/jwt/role/workload', role), 204, 'jwt role');

    const loggedIn = await api(server, 'POST', 'auth/jwt/login', { body: { role: 'workload', jwt: token } });
    expectStatus(loggedIn, 200, 'jwt login');
    assert.deepEqual(loggedIn.body.auth.policies, ['default']);
    assert.deepEqual(loggedIn.body.auth.metadata, { role: 'workload', team: 'search' });
    const entity = (await call('GET', `identity/entity/id/${loggedIn.body.auth.entity_id}`)).body.data;
    assert.equal(entity.aliases[0].name, user.entityId, 'the jwt alias is the entity ID the token carried');

    const tampered = `${token.slice(0, -4)}AAAA`;
    const rejected = await api(server, 'POST', 'auth/jwt/login', { body: { role: 'workload', jwt: tampered } });
    expectStatus(rejected, 400, 'tampered login');
    assert.deepEqual(rejected.body.errors, ['error validating token: error verifying token signature: failed to verify id token signature']);
  });
});
