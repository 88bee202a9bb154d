import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { callerFor, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity token config, keys and roles', () => {
  let server: RunningServer;
  let call: Caller;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
  });
  after(() => server.close());

  async function jwksKids(): Promise<string[]> {
    const response = await api(server, 'GET', 'identity/oidc/.well-known/keys');
    expectStatus(response, 200, 'jwks');
    return (response.body.keys as { kid: string }[]).map((key) => key.kid);
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
    for (const issuer of ['ftp://example.com', 'https://example.com/path', 'https://example.com/', 'example.com', 'https://example.com?x=1', 'https://user@example.com']) {
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

  test('key create read update list', async () => {
    expectStatus(await call('POST', 'identity/oidc/key/crud-key', {}), 204, 'create');
    const read = await call('GET', 'identity/oidc/key/crud-key');
    expectStatus(read, 200, 'read');
    assert.deepEqual(read.body.data, { algorithm: 'RS256', allowed_client_ids: [], rotation_period: 86400, verification_ttl: 86400 });

    expectStatus(await call('POST', 'identity/oidc/key/crud-key', { rotation_period: '12h', allowed_client_ids: 'a,b' }), 204, 'update');
    assert.deepEqual((await call('GET', 'identity/oidc/key/crud-key')).body.data, {
      algorithm: 'RS256',
      allowed_client_ids: ['a', 'b'],
      rotation_period: 43200,
      verification_ttl: 86400,
    });

    expectStatus(await call('POST', 'identity/oidc/key/crud-es', { algorithm: 'ES256', verification_ttl: 3600, allowed_client_ids: ['*'] }), 204, 'create es');
    const list = await call('LIST', 'identity/oidc/key');
    expectStatus(list, 200, 'list');
    assert.deepEqual(list.body.data.keys, ['crud-es', 'crud-key']);
    expectStatus(await call('GET', 'identity/oidc/key/missing'), 404, 'read missing');
  });

  test('key publishes current and next', async () => {
    const before = await jwksKids();
    expectStatus(await call('POST', 'identity/oidc/key/published', { algorithm: 'EdDSA' }), 204, 'create');
    const added = (await jwksKids()).filter((kid) => !before.includes(kid));
    assert.equal(added.length, 2, 'signing key and next signing key');
    const keys = (await api(server, 'GET', 'identity/oidc/.well-known/keys')).body.keys as Record<string, string>[];
    for (const jwk of keys.filter((key) => added.includes(key.kid))) {
      assert.equal(jwk.alg, 'EdDSA');
      assert.equal(jwk.kty, 'OKP');
      assert.equal(jwk.crv, 'Ed25519');
      assert.equal(jwk.use, 'sig');
      assert.equal(Object.hasOwn(jwk, 'd'), false, 'no private part');
    }

    expectStatus(await call('POST', 'identity/oidc/key/published', { algorithm: 'ES384' }), 204, 'change algorithm');
    const afterChange = (await api(server, 'GET', 'identity/oidc/.well-known/keys')).body.keys as Record<string, string>[];
    const own = afterChange.filter((key) => !before.includes(key.kid));
    assert.deepEqual(own.map((key) => key.alg).sort(), ['ES384', 'ES384', 'EdDSA', 'EdDSA'], 'old pair stays published after an algorithm change');
  });

  test('key checks its input', async () => {
    expectStatus(await call('POST', 'identity/oidc/key/checked', { rotation_period: '1h', verification_ttl: '2h' }), 204, 'create');
    const cases: [string, Record<string, unknown>, string][] = [
      ['identity/oidc/key/new-bad', { rotation_period: 30 }, 'rotation_period must be at least one minute'],
      ['identity/oidc/key/new-bad', { rotation_period: '1m', verification_ttl: '11m' }, 'verification_ttl cannot be longer than 10x rotation_period'],
      ['identity/oidc/key/new-bad', { algorithm: 'HS256' }, 'unknown signing algorithm "HS256"'],
      ['identity/oidc/key/new-bad', { rotation_period: 'soon' }, 'invalid field "rotation_period": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      ['identity/oidc/key/new-bad', { colour: 'red' }, 'unknown field "colour"'],
      ['identity/oidc/key/checked', { verification_ttl: '11h' }, 'verification_ttl cannot be longer than 10x rotation_period'],
      ['identity/oidc/key/checked', { algorithm: 'rs256' }, 'unknown signing algorithm "rs256"'],
      ['identity/oidc/key/checked', { rotation_period: 59 }, 'rotation_period must be at least one minute'],
    ];
    for (const [path, body, message] of cases) {
      const response = await call('POST', path, body);
      expectStatus(response, 400, `${path} ${JSON.stringify(body)}`);
      assert.deepEqual(response.body.errors, [message]);
    }
    expectStatus(await call('GET', 'identity/oidc/key/new-bad'), 404, 'not created');
    assert.deepEqual((await call('GET', 'identity/oidc/key/checked')).body.data, { algorithm: 'RS256', allowed_client_ids: [], rotation_period: 3600, verification_ttl: 7200 });

    const rotate = await call('POST', 'identity/oidc/key/absent/rotate', {});
    expectStatus(rotate, 400, 'rotate missing');
    assert.deepEqual(rotate.body.errors, ['no named key found at "absent"']);
  });

  test('key delete refused while role uses it', async () => {
    expectStatus(await call('POST', 'identity/oidc/key/in-use', { algorithm: 'ES256' }), 204, 'key');
    const kidsOfKey = await jwksKids();
    for (const role of ['user-b', 'user-a']) expectStatus(await call('POST', `identity/oidc/role/${role}`, { key: 'in-use' }), 204, `role ${role}`);

    const refused = await call('DELETE', 'identity/oidc/key/in-use');
    expectStatus(refused, 400, 'delete in use');
    assert.deepEqual(refused.body.errors, ['unable to delete key "in-use" because it is currently referenced by these roles: user-a, user-b']);
    expectStatus(await call('GET', 'identity/oidc/key/in-use'), 200, 'still there');

    for (const role of ['user-a', 'user-b']) expectStatus(await call('DELETE', `identity/oidc/role/${role}`), 204, `delete ${role}`);
    expectStatus(await call('DELETE', 'identity/oidc/key/in-use'), 204, 'delete');
    expectStatus(await call('GET', 'identity/oidc/key/in-use'), 404, 'gone');
    const remaining = await jwksKids();
    assert.equal(remaining.length, kidsOfKey.length - 2, 'public keys of the deleted key are unpublished');
    expectStatus(await call('DELETE', 'identity/oidc/key/in-use'), 204, 'delete again');
  });

  test('role create read update list', async () => {
    expectStatus(await call('POST', 'identity/oidc/key/role-key', { verification_ttl: '48h', rotation_period: '24h' }), 204, 'key');
    expectStatus(await call('POST', 'identity/oidc/role/crud-role', { key: 'role-key' }), 204, 'create');
    const read = await call('GET', 'identity/oidc/role/crud-role');
    expectStatus(read, 200, 'read');
    assert.match(read.body.data.client_id, /^[0-9A-Za-z]{26}$/);
    assert.deepEqual(read.body.data, { client_id: read.body.data.client_id, key: 'role-key', template: '', ttl: 86400 });

    const template = '{"name": {{identity.entity.name}}}';
    expectStatus(await call('POST', 'identity/oidc/role/crud-role', { ttl: '36h', template: Buffer.from(template).toString('base64') }), 204, 'update');
    assert.deepEqual((await call('GET', 'identity/oidc/role/crud-role')).body.data, { client_id: read.body.data.client_id, key: 'role-key', template, ttl: 129600 });

    expectStatus(await call('POST', 'identity/oidc/role/chosen-id', { key: 'role-key', client_id: 'my-client' }), 204, 'create with client id');
    assert.equal((await call('GET', 'identity/oidc/role/chosen-id')).body.data.client_id, 'my-client');
    const list = await call('LIST', 'identity/oidc/role');
    expectStatus(list, 200, 'list');
    assert.deepEqual(list.body.data.keys, ['chosen-id', 'crud-role']);

    const narrowed = await call('POST', 'identity/oidc/key/role-key', { verification_ttl: '24h' });
    expectStatus(narrowed, 400, 'key ttl below a role ttl');
    assert.deepEqual(narrowed.body.errors, ['unable to update key "role-key" because it is currently referenced by one or more roles with a token ttl greater than 86400 seconds']);
    assert.equal((await call('GET', 'identity/oidc/key/role-key')).body.data.verification_ttl, 172800);

    expectStatus(await call('DELETE', 'identity/oidc/role/chosen-id'), 204, 'delete');
    expectStatus(await call('GET', 'identity/oidc/role/chosen-id'), 404, 'gone');
  });

  test('role checks its input', async () => {
    expectStatus(await call('POST', 'identity/oidc/key/strict-key', { verification_ttl: '1h', rotation_period: '1h' }), 204, 'key');
    expectStatus(await call('POST', 'identity/oidc/role/strict', { key: 'strict-key', ttl: '30m' }), 204, 'role');
    const original = (await call('GET', 'identity/oidc/role/strict')).body.data;
    const restricted = 'iat, aud, exp, iss, sub, namespace, nonce, auth_time, at_hash, c_hash';
    const cases: [string, Record<string, unknown>, string][] = [
      ['identity/oidc/role/new-role', {}, 'the key parameter is required'],
      ['identity/oidc/role/new-role', { key: 'nope' }, 'cannot find key "nope"'],
      ['identity/oidc/role/new-role', { key: 'strict-key', ttl: '2h' }, "a role's token ttl cannot be longer than the verification_ttl of the key it references"],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '{"a": {{identity.entity.name}' }, 'error parsing template: unbalanced templating characters'],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '{"a": {{identity.entity.shoe_size}}}' }, 'error parsing template: no value could be found for one of the template directives'],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '{"a": {{time.now.plus.soon}}}' }, 'error parsing template: invalid duration "soon"'],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '{"a": {{identity.groups.names.x.id}}}' }, 'error parsing template: string contains groups template directives but no groups were provided'],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '[1, 2]' }, 'error parsing template JSON: the template must be a JSON object'],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '{"sub": "someone"}' }, `top level key "sub" not allowed. Restricted keys: ${restricted}`],
      ['identity/oidc/role/new-role', { key: 'strict-key', template: '{"namespace": {{identity.entity.id}}}' }, `top level key "namespace" not allowed. Restricted keys: ${restricted}`],
      ['identity/oidc/role/new-role', { key: 'strict-key', ttl: '30m', client_id: '*' }, 'invalid "client_id" "*": use 1 to 256 printable ASCII characters without spaces, other than "*"'],
      ['identity/oidc/role/new-role', { key: 'strict-key', ttl: '30m', client_id: 'has space' }, 'invalid "client_id" "has space": use 1 to 256 printable ASCII characters without spaces, other than "*"'],
      ['identity/oidc/role/new-role', { key: 'strict-key', ttl: 'later' }, 'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "later"'],
      ['identity/oidc/role/strict', { ttl: '2h' }, "a role's token ttl cannot be longer than the verification_ttl of the key it references"],
      ['identity/oidc/role/strict', { template: '{"exp": 1}' }, `top level key "exp" not allowed. Restricted keys: ${restricted}`],
    ];
    for (const [path, body, message] of cases) {
      const response = await call('POST', path, body);
      expectStatus(response, 400, `${path} ${JSON.stringify(body)}`);
      assert.deepEqual(response.body.errors, [message]);
    }
    const badJson = await call('POST', 'identity/oidc/role/new-role', { key: 'strict-key', template: '{"a": }' });
    expectStatus(badJson, 400, 'invalid JSON');
    assert.match(badJson.body.errors[0], /^error parsing template JSON: /);

    expectStatus(await call('GET', 'identity/oidc/role/new-role'), 404, 'not created');
    assert.deepEqual((await call('GET', 'identity/oidc/role/strict')).body.data, original, 'unchanged after errors');
  });
});
