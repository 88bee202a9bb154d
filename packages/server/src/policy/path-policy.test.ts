import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_POLICY } from './default-policy.js';
import { decodePolicyText } from './path-policy.js';
import { policyBackend, rawBody } from './test-support.js';

const READ_FOO = 'path "secret/foo" {\n  capabilities = ["read"]\n}\n';

/** Checks a rejected promise's status and message. */
async function assertRejects(promise: Promise<unknown>, status: number, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { status?: number }).status, status);
    assert.equal((error as Error).message, message);
    return true;
  });
}

describe('sys/policy paths', () => {
  test('read lists with keys and policies', async () => {
    const { call } = await policyBackend();
    const body = rawBody(await call('read', 'policy'));
    assert.deepEqual(body.keys, ['default', 'root']);
    assert.deepEqual(body.policies, ['default', 'root']);
    assert.deepEqual(body.data, { keys: ['default', 'root'], policies: ['default', 'root'] });
    assert.equal(body.mount_type, 'system');
    assert.equal(typeof body.request_id, 'string');
  });

  test('list with trailing slash', async () => {
    const { call } = await policyBackend();
    assert.deepEqual(rawBody(await call('list', 'policy/')).policies, ['default', 'root']);
  });

  test('write with rules warns twice', async () => {
    const { call, store } = await policyBackend();
    const response = await call('update', 'policy/Dev', { rules: READ_FOO });
    assert.deepEqual(response, {
      warnings: ['policy name "Dev" was lower-cased to "dev"', 'the "rules" field is deprecated; send the policy document in "policy"'],
    });
    assert.equal((await store.get('dev'))?.raw, READ_FOO);
  });

  test('read returns rules', async () => {
    const { call } = await policyBackend();
    assert.equal(await call('update', 'policy/dev', { policy: READ_FOO }), null);
    const body = rawBody(await call('read', 'policy/DEV'));
    assert.equal(body.name, 'dev');
    assert.equal(body.rules, READ_FOO);
    assert.deepEqual(body.data, { name: 'dev', rules: READ_FOO });
  });

  test('read of root has empty rules', async () => {
    const { call } = await policyBackend();
    assert.deepEqual(rawBody(await call('read', 'policy/root')).data, { name: 'root', rules: '' });
  });

  test('delete then read finds nothing', async () => {
    const { call } = await policyBackend();
    await call('update', 'policy/dev', { policy: READ_FOO });
    assert.equal(await call('delete', 'policy/dev'), null);
    assert.equal(await call('read', 'policy/dev'), null);
  });
});

describe('sys/policies/acl paths', () => {
  test('list returns keys only', async () => {
    const { call } = await policyBackend();
    await call('update', 'policies/acl/dev', { policy: READ_FOO });
    const body = rawBody(await call('list', 'policies/acl/'));
    assert.deepEqual(body.keys, ['default', 'dev', 'root']);
    assert.equal(body.policies, undefined);
    assert.deepEqual(body.data, { keys: ['default', 'dev', 'root'] });
  });

  test('read without list is unsupported', async () => {
    const { call } = await policyBackend();
    await assertRejects(call('read', 'policies/acl'), 405, 'read operation not supported on path "policies/acl"');
  });

  test('write and read back', async () => {
    const { call } = await policyBackend();
    assert.equal(await call('update', 'policies/acl/dev', { policy: READ_FOO }), null);
    assert.deepEqual(rawBody(await call('read', 'policies/acl/dev')).data, { name: 'dev', policy: READ_FOO });
  });

  test('read of default', async () => {
    const { call } = await policyBackend();
    assert.deepEqual(rawBody(await call('read', 'policies/acl/default')).data, { name: 'default', policy: DEFAULT_POLICY });
  });

  test('write base64 policy', async () => {
    const { call } = await policyBackend();
    const encoded = Buffer.from(READ_FOO).toString('base64');
    await call('update', 'policies/acl/dev', { policy: `${encoded.slice(0, 20)}\n${encoded.slice(20)}` });
    assert.equal(rawBody(await call('read', 'policies/acl/dev')).policy, READ_FOO);
  });

  test('write rejects a missing policy', async () => {
    const { call } = await policyBackend();
    await assertRejects(call('update', 'policies/acl/dev', {}), 400, 'missing "policy": send the policy document, HCL or JSON, in the "policy" field');
  });

  test('write rejects rules on the new path', async () => {
    const { call } = await policyBackend();
    await assertRejects(call('update', 'policies/acl/dev', { rules: READ_FOO }), 400, 'unknown field "rules"');
  });

  test('invalid policy changes nothing', async () => {
    const { call } = await policyBackend();
    await call('update', 'policies/acl/dev', { policy: READ_FOO });
    await assertRejects(
      call('update', 'policies/acl/dev', { policy: 'path "secret/foo" {\n  capabilities = ["write"]\n}\n' }),
      400,
      'invalid policy "dev" at line 2: path "secret/foo": unknown capability "write"; use create, read, update, patch, delete, list, sudo or deny',
    );
    assert.equal(rawBody(await call('read', 'policies/acl/dev')).policy, READ_FOO);
    assert.deepEqual(rawBody(await call('list', 'policies/acl/')).keys, ['default', 'dev', 'root']);
  });

  test('write rejects root', async () => {
    const { call } = await policyBackend();
    await assertRejects(call('update', 'policies/acl/root', { policy: READ_FOO }), 400, 'cannot update "root" policy');
  });

  test('write rejects a nested name', async () => {
    const { call } = await policyBackend();
    await assertRejects(call('update', 'policies/acl/a/b', { policy: READ_FOO }), 400, 'invalid policy name "a/b": a name cannot contain "/"');
  });

  test('delete rejects built-ins', async () => {
    const { call } = await policyBackend();
    await assertRejects(call('delete', 'policies/acl/root'), 400, 'cannot delete "root" policy');
    await assertRejects(call('delete', 'policies/acl/default'), 400, 'cannot delete default policy');
  });

  test('delete of a missing policy succeeds', async () => {
    const { call } = await policyBackend();
    assert.equal(await call('delete', 'policies/acl/never'), null);
  });
});

describe('decodePolicyText', () => {
  test('plain text stays', () => {
    assert.equal(decodePolicyText(READ_FOO), READ_FOO);
    assert.equal(decodePolicyText('{"path": {}}'), '{"path": {}}');
  });

  test('base64 is decoded', () => {
    assert.equal(decodePolicyText(Buffer.from(READ_FOO).toString('base64')), READ_FOO);
  });

  test('unpadded base64 stays', () => {
    assert.equal(decodePolicyText('abc'), 'abc');
  });
});
