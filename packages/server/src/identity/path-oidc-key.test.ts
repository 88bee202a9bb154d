import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { callerFor, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity token keys', () => {
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

    const kidsBefore = await jwksKids();
    expectStatus(await call('POST', 'identity/oidc/key/checked/rotate', { verification_ttl: 0 }), 204, 'rotate without grace');
    const kidsAfter = await jwksKids();
    assert.equal(kidsAfter.length, kidsBefore.length, 'the retired key left as the new next key arrived');
    assert.equal(kidsAfter.filter((kid) => !kidsBefore.includes(kid)).length, 1, 'one new next key');

    const rotate = await call('POST', 'identity/oidc/key/absent/rotate', {});
    expectStatus(rotate, 400, 'rotate missing');
    assert.deepEqual(rotate.body.errors, ['no named key found at "absent"']);
  });

  test('key delete rejected while in use', async () => {
    expectStatus(await call('POST', 'identity/oidc/key/in-use', { algorithm: 'ES256' }), 204, 'key');
    const kidsOfKey = await jwksKids();
    for (const role of ['user-b', 'user-a']) expectStatus(await call('POST', `identity/oidc/role/${role}`, { key: 'in-use' }), 204, `role ${role}`);

    const rejected = await call('DELETE', 'identity/oidc/key/in-use');
    expectStatus(rejected, 400, 'delete in use');
    assert.deepEqual(rejected.body.errors, ['unable to delete key "in-use" because it is currently referenced by these roles: user-a, user-b']);
    expectStatus(await call('GET', 'identity/oidc/key/in-use'), 200, 'still there');

    for (const role of ['user-a', 'user-b']) expectStatus(await call('DELETE', `identity/oidc/role/${role}`), 204, `delete ${role}`);
    expectStatus(await call('DELETE', 'identity/oidc/key/in-use'), 204, 'delete');
    expectStatus(await call('GET', 'identity/oidc/key/in-use'), 404, 'gone');
    const remaining = await jwksKids();
    assert.equal(remaining.length, kidsOfKey.length - 2, 'public keys of the deleted key are unpublished');
    expectStatus(await call('DELETE', 'identity/oidc/key/in-use'), 204, 'delete again');
  });

});
