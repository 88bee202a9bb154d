import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { policyBackend, rawBody, type PolicyBackendFixture } from './test-support.js';

const DEV_POLICY = `path "secret/foo" {
  capabilities = ["update", "read"]
}
path "secret/locked" {
  capabilities = ["deny"]
}
`;

async function withTokens(): Promise<PolicyBackendFixture> {
  const fixture = await policyBackend();
  await fixture.store.put('dev', DEV_POLICY);
  fixture.tokens.add('dev-token', 'dev-accessor', ['default', 'dev', 'missing']);
  fixture.tokens.add('root-token', 'root-accessor', ['root']);
  return fixture;
}

/** Checks a rejected promise's status and message. */
async function assertRejects(promise: Promise<unknown>, status: number, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { status?: number }).status, status);
    assert.equal((error as Error).message, message);
    return true;
  });
}

describe('sys/capabilities', () => {
  test('several paths', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities', { token: 'dev-token', paths: ['secret/foo', 'secret/locked', 'cubbyhole/x'] }));
    const expected = {
      'secret/foo': ['read', 'update'],
      'secret/locked': ['deny'],
      'cubbyhole/x': ['create', 'delete', 'list', 'read', 'update'],
    };
    assert.deepEqual(body.data, expected);
    assert.deepEqual(body['secret/foo'], ['read', 'update']);
    assert.equal(body.capabilities, undefined);
  });

  test('one path adds capabilities', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities', { token: 'dev-token', paths: ['secret/foo'] }));
    assert.deepEqual(body.data, { 'secret/foo': ['read', 'update'], capabilities: ['read', 'update'] });
    assert.deepEqual(body.capabilities, ['read', 'update']);
    assert.deepEqual(body['secret/foo'], ['read', 'update']);
  });

  test('deprecated path field', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities', { token: 'dev-token', path: 'secret/nothing' }));
    assert.deepEqual(body.data, { 'secret/nothing': ['deny'], capabilities: ['deny'] });
  });

  test('comma-separated paths', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities', { token: 'dev-token', paths: 'secret/foo, secret/locked' }));
    assert.deepEqual(body.data, { 'secret/foo': ['read', 'update'], 'secret/locked': ['deny'] });
  });

  test('root token', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities', { token: 'root-token', paths: ['sys/seal'] }));
    assert.deepEqual(body.capabilities, ['root']);
  });

  test('policy change is seen', async () => {
    const { call, store } = await withTokens();
    await call('update', 'capabilities', { token: 'dev-token', paths: ['secret/foo'] });
    await store.put('dev', 'path "secret/foo" {\n  capabilities = ["list"]\n}\n');
    const body = rawBody(await call('update', 'capabilities', { token: 'dev-token', paths: ['secret/foo'] }));
    assert.deepEqual(body.capabilities, ['list']);
  });

  test('path named __proto__ is a key', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities', { token: 'dev-token', paths: ['__proto__', 'secret/foo'] }));
    assert.deepEqual(Object.keys(body.data as object), ['__proto__', 'secret/foo']);
  });

  test('invalid token', async () => {
    const { call } = await withTokens();
    await assertRejects(call('update', 'capabilities', { token: 'nope', paths: ['secret/foo'] }), 400, 'invalid token');
  });

  test('missing token', async () => {
    const { call } = await withTokens();
    await assertRejects(call('update', 'capabilities', { paths: ['secret/foo'] }), 400, 'missing required field "token"');
  });

  test('missing paths', async () => {
    const { call } = await withTokens();
    await assertRejects(
      call('update', 'capabilities', { token: 'dev-token' }),
      400,
      'missing "paths": send the paths to check, such as {"paths": ["secret/foo"]}',
    );
  });

  test('empty path in the list', async () => {
    const { call } = await withTokens();
    await assertRejects(call('update', 'capabilities', { token: 'dev-token', paths: ['secret/foo', ''] }), 400, 'invalid "paths": a path is empty');
  });
});

describe('sys/capabilities-self', () => {
  test('uses the caller token', async () => {
    const { call, callers } = await withTokens();
    callers.set('request-1', 'dev-token');
    const body = rawBody(await call('update', 'capabilities-self', { paths: ['auth/token/lookup-self'] }, 'request-1'));
    assert.deepEqual(body.data, { 'auth/token/lookup-self': ['read'], capabilities: ['read'] });
  });

  test('without a caller token', async () => {
    const { call } = await withTokens();
    await assertRejects(
      call('update', 'capabilities-self', { paths: ['secret/foo'] }, 'request-2'),
      500,
      'the calling token is not available to sys/capabilities-self',
    );
  });

  test('rejects a token field', async () => {
    const { call, callers } = await withTokens();
    callers.set('request-3', 'dev-token');
    await assertRejects(call('update', 'capabilities-self', { token: 'root-token', paths: ['x'] }, 'request-3'), 400, 'unknown field "token"');
  });
});

describe('sys/capabilities-accessor', () => {
  test('looks up by accessor', async () => {
    const { call } = await withTokens();
    const body = rawBody(await call('update', 'capabilities-accessor', { accessor: 'dev-accessor', paths: ['secret/foo'] }));
    assert.deepEqual(body.capabilities, ['read', 'update']);
  });

  test('invalid accessor', async () => {
    const { call } = await withTokens();
    await assertRejects(call('update', 'capabilities-accessor', { accessor: 'nope', paths: ['secret/foo'] }), 400, 'invalid accessor');
  });

  test('missing accessor', async () => {
    const { call } = await withTokens();
    await assertRejects(call('update', 'capabilities-accessor', { paths: ['secret/foo'] }), 400, 'missing required field "accessor"');
  });
});

describe('capabilities with identity policies', () => {
  const ROOT = 'root-test-token';
  const GROUP_POLICY = 'path "secret/data/team/*" {\n  capabilities = ["read", "list"]\n}\n';
  const TEMPLATED_POLICY = 'path "secret/data/{{identity.entity.id}}/*" {\n  capabilities = ["create", "update"]\n}\n';
  let server: RunningServer;
  let token: string;
  let accessor: string;
  let entityId: string;

  before(async () => {
    server = await startDevServer(ROOT);
    const setup: [string, string, Record<string, unknown>][] = [
      ['sys/policies/acl/team', 'PUT', { policy: GROUP_POLICY }],
      ['sys/policies/acl/own', 'PUT', { policy: TEMPLATED_POLICY }],
      ['sys/auth/userpass', 'POST', { type: 'userpass' }],
      ['auth/userpass/users/carol', 'POST', { password: 'carol-password' }],
    ];
    for (const [path, method, body] of setup) assert.equal((await api(server, method, path, { token: ROOT, body })).status, 204, path);

    const login = await api(server, 'POST', 'auth/userpass/login/carol', { body: { password: 'carol-password' } });
    assert.equal(login.status, 200);
    token = login.body.auth.client_token;
    accessor = login.body.auth.accessor;
    entityId = login.body.auth.entity_id;
    const group = await api(server, 'POST', 'identity/group', { token: ROOT, body: { name: 'team', policies: ['team', 'own'], member_entity_ids: [entityId] } });
    assert.equal(group.status, 200);
  });
  after(() => server.close());

  const expected = () => ({
    'secret/data/team/app': ['list', 'read'],
    [`secret/data/${entityId}/notes`]: ['create', 'update'],
    'secret/data/other/app': ['deny'],
  });

  test('self includes group and templated policies', async () => {
    assert.equal((await api(server, 'GET', 'secret/data/team/app', { token })).status, 404, 'the group policy lets the user read');
    const response = await api(server, 'POST', 'sys/capabilities-self', { token, body: { paths: Object.keys(expected()) } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, expected());
  });

  test('token and accessor include them too', async () => {
    const byToken = await api(server, 'POST', 'sys/capabilities', { token: ROOT, body: { token, paths: Object.keys(expected()) } });
    assert.equal(byToken.status, 200);
    assert.deepEqual(byToken.body.data, expected());
    const byAccessor = await api(server, 'POST', 'sys/capabilities-accessor', { token: ROOT, body: { accessor, paths: Object.keys(expected()) } });
    assert.equal(byAccessor.status, 200);
    assert.deepEqual(byAccessor.body.data, expected());
  });

  test('disabled entity has no capabilities', async () => {
    assert.equal((await api(server, 'POST', `identity/entity/id/${entityId}`, { token: ROOT, body: { disabled: true } })).status, 204);
    try {
      const response = await api(server, 'POST', 'sys/capabilities', { token: ROOT, body: { token, paths: ['secret/data/team/app'] } });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.data, { 'secret/data/team/app': ['deny'], capabilities: ['deny'] });
    } finally {
      assert.equal((await api(server, 'POST', `identity/entity/id/${entityId}`, { token: ROOT, body: { disabled: false } })).status, 204);
    }
  });
});
