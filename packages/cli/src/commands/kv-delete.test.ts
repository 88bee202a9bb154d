import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('kv delete, undelete and destroy', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
    const enabled = await runCli(['secrets', 'enable', '-path=kv1', '-version=1', 'kv'], { env: server.env });
    assert.equal(enabled.code, 0, enabled.stderr);
  });

  after(async () => {
    await server.close();
  });

  /** Reads the version metadata of a v2 secret as JSON. */
  async function versionState(path: string, version: number): Promise<Record<string, unknown>> {
    const metadata = await runCli(['kv', 'metadata', 'get', '-format=json', path], { env: server.env });
    assert.equal(metadata.code, 0, metadata.stderr);
    return JSON.parse(metadata.stdout).data.versions[String(version)];
  }

  test('delete latest version then undelete', async () => {
    await runCli(['kv', 'put', 'secret/del', 'a=1'], { env: server.env });
    const deleted = await runCli(['kv', 'delete', 'secret/del'], { env: server.env });
    assert.deepEqual(deleted, { code: 0, stdout: 'Success! Data deleted (if it existed) at: secret/data/del\n', stderr: '' });
    assert.notEqual((await versionState('secret/del', 1)).deletion_time, '');

    const get = await runCli(['kv', 'get', 'secret/del'], { env: server.env });
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /\ndeletion_time      \d{4}-/);
    assert.doesNotMatch(get.stdout, /=== Data ===/);

    const restored = await runCli(['kv', 'undelete', '-versions=1', 'secret/del'], { env: server.env });
    assert.deepEqual(restored, { code: 0, stdout: 'Success! Data written to: secret/undelete/del\n', stderr: '' });
    const field = await runCli(['kv', 'get', '-field=a', 'secret/del'], { env: server.env });
    assert.deepEqual(field, { code: 0, stdout: '1', stderr: '' });
  });

  test('delete named versions', async () => {
    await runCli(['kv', 'put', 'secret/multi', 'n=1'], { env: server.env });
    await runCli(['kv', 'put', 'secret/multi', 'n=2'], { env: server.env });
    const deleted = await runCli(['kv', 'delete', '-mount=secret', '-versions=1', 'multi'], { env: server.env });
    assert.deepEqual(deleted, { code: 0, stdout: 'Success! Data deleted (if it existed) at: secret/delete/multi\n', stderr: '' });
    assert.notEqual((await versionState('secret/multi', 1)).deletion_time, '');
    assert.equal((await versionState('secret/multi', 2)).deletion_time, '');
  });

  test('destroy marks version destroyed', async () => {
    await runCli(['kv', 'put', 'secret/destroy-me', 'a=1'], { env: server.env });
    const destroyed = await runCli(['kv', 'destroy', '-versions=1', 'secret/destroy-me'], { env: server.env });
    assert.deepEqual(destroyed, { code: 0, stdout: 'Success! Data written to: secret/destroy/destroy-me\n', stderr: '' });
    assert.equal((await versionState('secret/destroy-me', 1)).destroyed, true);
  });

  test('undelete without versions exits 1', async () => {
    const restored = await runCli(['kv', 'undelete', 'secret/del'], { env: server.env });
    assert.deepEqual(restored, {
      code: 1,
      stdout: '',
      stderr: 'No versions provided, use the "-versions" flag to specify the version to undelete, such as -versions=1\n',
    });
  });

  test('invalid version exits 1', async () => {
    const destroyed = await runCli(['kv', 'destroy', '-versions=one', 'secret/del'], { env: server.env });
    assert.deepEqual(destroyed, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "one" for flag -versions: expected version numbers of 1 or more, such as -versions=1,2\n',
    });
  });

  test('destroy on v1 exits 1', async () => {
    await runCli(['kv', 'put', 'kv1/a', 'b=c'], { env: server.env });
    const destroyed = await runCli(['kv', 'destroy', '-versions=1', 'kv1/a'], { env: server.env });
    assert.deepEqual(destroyed, { code: 1, stdout: '', stderr: 'Destroy not supported on KV Version 1\n' });
  });

  test('delete on v1 removes data', async () => {
    await runCli(['kv', 'put', 'kv1/gone', 'b=c'], { env: server.env });
    const deleted = await runCli(['kv', 'delete', 'kv1/gone'], { env: server.env });
    assert.deepEqual(deleted, { code: 0, stdout: 'Success! Data deleted (if it existed) at: kv1/gone\n', stderr: '' });
    const get = await runCli(['kv', 'get', 'kv1/gone'], { env: server.env });
    assert.deepEqual(get, { code: 2, stdout: '', stderr: 'No value found at kv1/gone\n' });
  });
});
