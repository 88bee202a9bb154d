import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('kv rollback and enable-versioning', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  /** Returns the JSON output of `kv get -format=json` with the given extra arguments. */
  async function getJson(...args: string[]): Promise<{ data: { data: Record<string, unknown>; metadata: Record<string, unknown> } }> {
    const read = await runCli(['kv', 'get', '-format=json', ...args], { env: server.env });
    assert.equal(read.code, 0, read.stderr);
    return JSON.parse(read.stdout);
  }

  test('rollback writes an old version as new', async () => {
    for (const value of ['one', 'two', 'three']) {
      assert.equal((await runCli(['kv', 'put', 'secret/rolled', `v=${value}`], { env: server.env })).code, 0);
    }
    const rolled = await runCli(['kv', 'rollback', '-version=1', 'secret/rolled'], { env: server.env });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, /^=+ Secret Path =+\nsecret\/data\/rolled\n/);
    assert.match(rolled.stdout, /\nversion +4\n/);

    const current = await getJson('secret/rolled');
    assert.deepEqual(current.data.data, { v: 'one' });
    assert.equal(current.data.metadata.version, 4);
  });

  test('rollback with -mount and -format=json', async () => {
    await runCli(['kv', 'put', 'secret/mounted', 'v=a'], { env: server.env });
    await runCli(['kv', 'put', 'secret/mounted', 'v=b'], { env: server.env });
    const rolled = await runCli(['kv', 'rollback', '-mount=secret', '-version=1', '-format=json', 'mounted'], { env: server.env });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(JSON.parse(rolled.stdout).data.version, 3);
    assert.deepEqual((await getJson('secret/mounted')).data.data, { v: 'a' });
  });

  test('rollback rejects deleted and destroyed versions', async () => {
    await runCli(['kv', 'put', 'secret/gone', 'v=1'], { env: server.env });
    await runCli(['kv', 'put', 'secret/gone', 'v=2'], { env: server.env });
    await runCli(['kv', 'put', 'secret/gone', 'v=3'], { env: server.env });
    assert.equal((await runCli(['kv', 'delete', '-versions=1', 'secret/gone'], { env: server.env })).code, 0);
    assert.equal((await runCli(['kv', 'destroy', '-versions=2', 'secret/gone'], { env: server.env })).code, 0);

    const deleted = await runCli(['kv', 'rollback', '-version=1', 'secret/gone'], { env: server.env });
    assert.deepEqual(deleted, {
      code: 2,
      stdout: '',
      stderr: 'Version 1 of secret/data/gone is deleted; undelete it first with "coffer kv undelete -versions=1"\n',
    });
    const destroyed = await runCli(['kv', 'rollback', '-version=2', 'secret/gone'], { env: server.env });
    assert.deepEqual(destroyed, { code: 2, stdout: '', stderr: 'Version 2 of secret/data/gone is destroyed, so its data cannot be restored\n' });
    const missing = await runCli(['kv', 'rollback', '-version=9', 'secret/gone'], { env: server.env });
    assert.deepEqual(missing, { code: 2, stdout: '', stderr: 'No version 9 found at secret/data/gone\n' });
    // Nothing was written: the secret is still at version 3.
    assert.equal((await getJson('secret/gone')).data.metadata.version, 3);
  });

  test('rollback needs a positive version', async () => {
    const missing = await runCli(['kv', 'rollback', 'secret/rolled'], { env: server.env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Missing -version: give the version to roll back to, such as -version=2\n/);
    const zero = await runCli(['kv', 'rollback', '-version=0', 'secret/rolled'], { env: server.env });
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /^Invalid -version 0: versions start at 1\n/);
  });

  test('rollback of a missing secret', async () => {
    const result = await runCli(['kv', 'rollback', '-version=1', 'secret/never'], { env: server.env });
    assert.deepEqual(result, { code: 2, stdout: '', stderr: 'No value found at secret/data/never; rollback only works on a secret that exists\n' });
  });

  test('enable-versioning upgrades a version 1 mount', async () => {
    assert.equal((await runCli(['secrets', 'enable', '-path=plain', '-version=1', 'kv'], { env: server.env })).code, 0);
    assert.equal((await runCli(['kv', 'put', 'plain/item', 'a=b'], { env: server.env })).code, 0);
    const rollbackOnV1 = await runCli(['kv', 'rollback', '-version=1', 'plain/item'], { env: server.env });
    assert.equal(rollbackOnV1.code, 2);
    assert.match(rollbackOnV1.stderr, /is version 1\. "coffer kv enable-versioning" upgrades it\.\n$/);

    const enabled = await runCli(['kv', 'enable-versioning', 'plain'], { env: server.env });
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Tuned the secrets engine at: plain/\n', stderr: '' });
    const read = await getJson('plain/item');
    assert.deepEqual(read.data.data, { a: 'b' });
    assert.equal(read.data.metadata.version, 1);
  });

  test('enable-versioning of a missing mount', async () => {
    const result = await runCli(['kv', 'enable-versioning', 'nowhere'], { env: server.env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Error tuning secrets engine nowhere: /);
  });
});
