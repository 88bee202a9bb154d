import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
