import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity token roles', () => {
  let server: RunningServer;
  let call: Caller;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
  });
  after(() => server.close());

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
      [
        'identity/oidc/role/new-role',
        { key: 'strict-key', template: `{"deep": ${'['.repeat(5000)}${']'.repeat(5000)}}` },
        'error parsing template JSON: nesting is deeper than the limit of 500 levels',
      ],
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
