import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import { DEFAULT_POLICY } from './default-policy.js';
import { PolicyStore, ROOT_POLICY } from './store.js';

interface LogLine {
  level: string;
  fields: object;
  message: string;
}

/** Returns a logger that appends each line to `lines`, so a test can check what the store logs. */
function recordingLogger(lines: LogLine[]): Logger {
  const write = (level: string) => (fields: object, message: string) => lines.push({ level, fields, message });
  const logger: Logger = {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

async function setUp(): Promise<{ store: PolicyStore; barrier: Barrier; physical: InmemStorage; logs: LogLine[] }> {
  const physical = new InmemStorage();
  const barrier = new Barrier(physical);
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  const logs: LogLine[] = [];
  const store = new PolicyStore(barrier, recordingLogger(logs));
  await store.setup();
  return { store, barrier, physical, logs };
}

const READ_FOO = 'path "secret/foo" {\n  capabilities = ["read"]\n}\n';
const UPDATE_FOO = 'path "secret/foo" {\n  capabilities = ["update"]\n}\n';

/** Checks a rejected promise's status and message. */
async function assertRejects(promise: Promise<unknown>, status: number, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { status?: number }).status, status);
    assert.equal((error as Error).message, message);
    return true;
  });
}

describe('policy store', () => {
  test('setup writes the default policy', async () => {
    const { store, physical, logs } = await setUp();
    const policy = await store.get('default');
    assert.equal(policy?.raw, DEFAULT_POLICY);
    assert.equal(policy?.templated, true);
    assert.deepEqual(await store.list(), ['default', 'root']);
    assert.deepEqual(logs, [{ level: 'info', fields: { policy: 'default' }, message: 'default policy created' }]);

    const stored = await physical.get('sys/policy/default');
    assert.ok(stored !== null);
    assert.equal(stored.value.includes(Buffer.from('lookup-self')), false);
  });

  test('setup keeps an edited default', async () => {
    const { store, logs } = await setUp();
    await store.put('default', READ_FOO);
    store.teardown();
    await store.setup();
    assert.equal((await store.get('default'))?.raw, READ_FOO);
    assert.equal(logs.filter((line) => line.message === 'default policy created').length, 1);
  });

  test('names are case-insensitive', async () => {
    const { store } = await setUp();
    await store.put(' Dev ', READ_FOO);
    const policy = await store.get('DEV');
    assert.equal(policy?.name, 'dev');
    assert.equal(policy?.raw, READ_FOO);
    assert.deepEqual(await store.list(), ['default', 'dev', 'root']);
  });

  test('get survives a cache drop', async () => {
    const { store } = await setUp();
    await store.put('dev', READ_FOO);
    store.teardown();
    assert.equal((await store.get('dev'))?.raw, READ_FOO);
  });

  test('get root and unknown names', async () => {
    const { store } = await setUp();
    assert.equal(await store.get('Root'), ROOT_POLICY);
    assert.equal(await store.get('missing'), null);
    assert.equal(await store.get('a/../b'), null);
  });

  test('put rejects an invalid policy and writes nothing', async () => {
    const { store, physical } = await setUp();
    await assertRejects(
      store.put('bad', 'path "x" {\n  capabilities = ["reed"]\n}\n'),
      400,
      'invalid policy "bad" at line 2: path "x": unknown capability "reed"; use create, read, update, patch, delete, list, sudo or deny. Did you mean "read"?',
    );
    assert.equal(await store.get('bad'), null);
    assert.equal(await physical.get('sys/policy/bad'), null);
    assert.deepEqual(await store.list(), ['default', 'root']);
  });

  test('put rejects built-in names', async () => {
    const { store } = await setUp();
    await assertRejects(store.put('ROOT', READ_FOO), 400, 'cannot update "root" policy');
    await assertRejects(store.put('response-wrapping', READ_FOO), 400, 'cannot update "response-wrapping" policy');
    assert.deepEqual(await store.list(), ['default', 'root']);
  });

  test('put rejects bad names and text', async () => {
    const { store } = await setUp();
    await assertRejects(store.put('a/b', READ_FOO), 400, 'invalid policy name "a/b": a name cannot contain "/"');
    await assertRejects(store.put('..', READ_FOO), 400, 'invalid policy name "..": "." and ".." are reserved');
    await assertRejects(store.put('a\nb', READ_FOO), 400, 'invalid policy name "a\\nb": a name cannot contain control characters');
    await assertRejects(store.put('  ', READ_FOO), 400, 'missing policy name: give it in the path, such as sys/policies/acl/my-policy');
    await assertRejects(store.put('dev', ' \n'), 400, 'missing policy document for "dev": send it in the "policy" field');
    assert.deepEqual(await store.list(), ['default', 'root']);
  });

  test('delete rejects built-in policies', async () => {
    const { store } = await setUp();
    await assertRejects(store.delete('root'), 400, 'cannot delete "root" policy');
    await assertRejects(store.delete('Default'), 400, 'cannot delete default policy');
    assert.notEqual(await store.get('default'), null);
  });

  test('delete removes and tolerates missing', async () => {
    const { store, physical, logs } = await setUp();
    await store.put('dev', READ_FOO);
    await store.delete('DEV');
    assert.equal(await store.get('dev'), null);
    assert.equal(await physical.get('sys/policy/dev'), null);
    await store.delete('never-written');
    assert.deepEqual(
      logs.map((line) => line.message),
      ['default policy created', 'policy written', 'policy deleted', 'policy deleted'],
    );
  });

  test('concurrent puts keep the last call', async () => {
    const { store } = await setUp();
    const texts = Array.from({ length: 5 }, (_, index) => `path "secret/${index}" {\n  capabilities = ["read"]\n}\n`);
    await Promise.all(texts.map((text) => store.put('dev', text)));
    assert.equal((await store.get('dev'))?.raw, texts[4]);
    store.teardown();
    assert.equal((await store.get('dev'))?.raw, texts[4]);
  });

  test('stored policy that no longer parses', async () => {
    const { store, barrier, logs } = await setUp();
    const entry = { version: 1, name: 'broken', raw: 'path "x" {\n  capabilities = ["fly"]\n}\n' };
    await barrier.put({ key: 'sys/policy/broken', value: Buffer.from(JSON.stringify(entry)) });
    await assertRejects(
      store.get('broken'),
      500,
      'stored policy "broken" cannot be used: invalid policy "broken" at line 2: path "x": unknown capability "fly"; use create, read, update, patch, delete, list, sudo or deny',
    );
    assert.equal(logs.at(-1)?.message, 'stored policy cannot be parsed');
    assert.equal(logs.at(-1)?.level, 'error');
  });
});

describe('policy store acl', () => {
  test('acl is cached by sorted names', async () => {
    const { store } = await setUp();
    await store.put('a', READ_FOO);
    await store.put('b', 'path "secret/bar" {\n  capabilities = ["read"]\n}\n');
    const first = await store.acl(['b', 'a']);
    assert.equal(await store.acl(['A', 'b', 'a']), first);
    assert.equal(first.check({ operation: 'read', path: 'secret/foo', data: {} }).allowed, true);
    assert.equal(first.check({ operation: 'read', path: 'secret/bar', data: {} }).allowed, true);
  });

  test('put invalidates cached acls', async () => {
    const { store } = await setUp();
    await store.put('a', READ_FOO);
    const before = await store.acl(['a']);
    await store.put('a', UPDATE_FOO);
    const after = await store.acl(['a']);
    assert.notEqual(after, before);
    assert.equal(after.check({ operation: 'read', path: 'secret/foo', data: {} }).allowed, false);
    assert.equal(after.check({ operation: 'update', path: 'secret/foo', data: {} }).allowed, true);
  });

  test('delete invalidates cached acls', async () => {
    const { store } = await setUp();
    await store.put('a', READ_FOO);
    assert.equal((await store.acl(['a'])).check({ operation: 'read', path: 'secret/foo', data: {} }).allowed, true);
    await store.delete('a');
    assert.equal((await store.acl(['a'])).check({ operation: 'read', path: 'secret/foo', data: {} }).allowed, false);
  });

  test('teardown drops cached acls', async () => {
    const { store } = await setUp();
    const before = await store.acl(['default']);
    store.teardown();
    assert.notEqual(await store.acl(['default']), before);
  });

  test('same names array sees every write', async () => {
    const { store } = await setUp();
    const names = ['a'];
    await store.put('a', READ_FOO);
    const readable = await store.acl(names);
    assert.equal(await store.acl(names), readable);
    assert.equal(readable.check({ operation: 'read', path: 'secret/foo', data: {} }).allowed, true);

    await store.put('a', UPDATE_FOO);
    const updated = await store.acl(names);
    assert.equal(updated.check({ operation: 'read', path: 'secret/foo', data: {} }).allowed, false);
    assert.equal(updated.check({ operation: 'update', path: 'secret/foo', data: {} }).allowed, true);

    await store.delete('a');
    assert.equal((await store.acl(names)).check({ operation: 'update', path: 'secret/foo', data: {} }).allowed, false);

    await store.put('a', READ_FOO);
    const beforeTeardown = await store.acl(names);
    store.teardown();
    assert.notEqual(await store.acl(names), beforeTeardown);
  });

  test('same names array changed in place', async () => {
    const { store } = await setUp();
    await store.put('a', READ_FOO);
    await store.put('b', UPDATE_FOO);
    const names = ['a'];
    assert.equal((await store.acl(names)).check({ operation: 'update', path: 'secret/foo', data: {} }).allowed, false);
    names[0] = 'b';
    assert.equal((await store.acl(names)).check({ operation: 'update', path: 'secret/foo', data: {} }).allowed, true);
  });

  test('acl ignores unknown names', async () => {
    const { store } = await setUp();
    await store.put('a', READ_FOO);
    const acl = await store.acl(['missing', 'a']);
    assert.equal(acl.isRoot, false);
    assert.deepEqual(acl.capabilities('secret/foo'), ['read']);
    assert.deepEqual((await store.acl(['missing'])).capabilities('secret/foo'), ['deny']);
  });

  test('acl of root', async () => {
    const { store } = await setUp();
    const acl = await store.acl(['root']);
    assert.equal(acl.isRoot, true);
    assert.deepEqual(acl.capabilities('sys/seal'), ['root']);
  });

  test('acl depends on the entity', async () => {
    const { store } = await setUp();
    const entity = (id: string) => ({ id, name: `n-${id}`, metadata: {}, aliases: [], groups: [] });
    const alice = await store.acl(['default'], entity('alice'));
    const bob = await store.acl(['default'], entity('bob'));
    const none = await store.acl(['default']);
    assert.notEqual(alice, bob);
    assert.equal(await store.acl(['default'], entity('alice')), alice);
    assert.deepEqual(alice.capabilities('identity/entity/id/alice'), ['read']);
    assert.deepEqual(bob.capabilities('identity/entity/id/alice'), ['deny']);
    assert.deepEqual(none.capabilities('identity/entity/id/alice'), ['deny']);
    assert.deepEqual(none.capabilities('auth/token/lookup-self'), ['read']);
  });
});
