import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { makeTempDir, runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { envelope, startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

const webPolicy = 'path "secret/data/web/*" {\n  capabilities = ["read"]\n}\n';

describe('policy requests', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(() => ({}));
  });

  after(async () => {
    await recorder.close();
  });

  test('write sends the file as policy', async () => {
    const dir = await makeTempDir('coffer-cli-policy-');
    try {
      const file = join(dir.path, 'web.hcl');
      await writeFile(file, webPolicy);
      const result = await runCli(['policy', 'write', ' Web ', file], { env: recorder.env });
      assert.deepEqual(result, { code: 0, stdout: 'Success! Uploaded policy: web\n', stderr: '' });
      assert.equal(recorder.requests.length, 1);
      assert.equal(recorder.requests[0].method, 'PUT');
      assert.equal(recorder.requests[0].path, '/v1/sys/policies/acl/web');
      assert.deepEqual(recorder.requests[0].body, { policy: webPolicy });
    } finally {
      await dir.remove();
    }
  });

  test('write reads stdin for dash', async () => {
    const result = await runCli(['policy', 'write', 'web', '-'], { env: recorder.env, stdin: webPolicy });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(recorder.requests[0].body, { policy: webPolicy });
  });

  test('read prints the rules', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { name: 'web', policy: `\n${webPolicy}\n` } }) }));
    const table = await runCli(['policy', 'read', 'WEB'], { env: recorder.env });
    assert.deepEqual(table, { code: 0, stdout: webPolicy, stderr: '' });
    assert.equal(recorder.requests[0].method, 'GET');
    assert.equal(recorder.requests[0].path, '/v1/sys/policies/acl/web');

    const json = await runCli(['policy', 'read', '-format=json', 'web'], { env: recorder.env });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { policy: `\n${webPolicy}\n` });
  });

  test('read of missing policy exits 2', async () => {
    recorder.respondWith(() => ({ status: 404, body: { errors: [] } }));
    const result = await runCli(['policy', 'read', 'nope'], { env: recorder.env });
    assert.deepEqual(result, { code: 2, stdout: '', stderr: 'No policy named: nope\n' });
  });

  test('list prints one name a line', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { keys: ['default', 'root', 'web'] } }) }));
    const table = await runCli(['policy', 'list'], { env: recorder.env });
    assert.deepEqual(table, { code: 0, stdout: 'default\nroot\nweb\n', stderr: '' });
    assert.equal(recorder.requests[0].method, 'GET');
    assert.equal(recorder.requests[0].path, '/v1/sys/policies/acl');
    assert.equal(recorder.requests[0].query.get('list'), 'true');

    const json = await runCli(['policy', 'list', '-format=json'], { env: recorder.env });
    assert.deepEqual(json, { code: 0, stdout: '[\n  "default",\n  "root",\n  "web"\n]\n', stderr: '' });
  });

  test('delete sends DELETE', async () => {
    const result = await runCli(['policy', 'delete', 'Web'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'Success! Deleted policy: web\n', stderr: '' });
    assert.equal(recorder.requests[0].method, 'DELETE');
    assert.equal(recorder.requests[0].path, '/v1/sys/policies/acl/web');
  });

  const badInput: [string, string[], string][] = [
    ['write without file', ['policy', 'write', 'web'], 'Not enough arguments (expected 2, got 1)'],
    ['write of missing file', ['policy', 'write', 'web', '/nonexistent/web.hcl'], 'Error opening policy file "/nonexistent/web.hcl": ENOENT: no such file or directory, open \'/nonexistent/web.hcl\''],
    ['read without name', ['policy', 'read'], 'Not enough arguments (expected 1, got 0)'],
    ['read of blank name', ['policy', 'read', ' '], 'invalid policy name "": pass the name of the policy, such as my-policy'],
    ['list with argument', ['policy', 'list', 'extra'], 'Too many arguments (expected 0, got 1)'],
    ['delete with two names', ['policy', 'delete', 'a', 'b'], 'Too many arguments (expected 1, got 2)'],
  ];
  for (const [name, argv, message] of badInput) {
    test(`${name} exits 1`, async () => {
      const result = await runCli(argv, { env: recorder.env });
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `${message}\n` });
      assert.equal(recorder.requests.length, 0);
    });
  }
});

describe('policy commands on a dev server', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  test('write, read, list and delete', async () => {
    const write = await runCli(['policy', 'write', 'web', '-'], { env: server.env, stdin: webPolicy });
    assert.deepEqual(write, { code: 0, stdout: 'Success! Uploaded policy: web\n', stderr: '' });

    const read = await runCli(['policy', 'read', 'web'], { env: server.env });
    assert.deepEqual(read, { code: 0, stdout: webPolicy, stderr: '' });

    const readJson = await runCli(['policy', 'read', '-format=json', 'web'], { env: server.env });
    assert.deepEqual(readJson, { code: 0, stdout: `{\n  "policy": ${JSON.stringify(webPolicy)}\n}\n`, stderr: '' });

    // The names come in the server's order, which puts root last, as Vault's does.
    const list = await runCli(['policy', 'list'], { env: server.env });
    assert.deepEqual(list, { code: 0, stdout: 'default\nweb\nroot\n', stderr: '' });

    const remove = await runCli(['policy', 'delete', 'web'], { env: server.env });
    assert.deepEqual(remove, { code: 0, stdout: 'Success! Deleted policy: web\n', stderr: '' });

    const listJson = await runCli(['policy', 'list', '-format=json'], { env: server.env });
    assert.deepEqual(listJson, { code: 0, stdout: '[\n  "default",\n  "root"\n]\n', stderr: '' });
  });

  test('read of missing policy exits 2', async () => {
    const read = await runCli(['policy', 'read', 'missing'], { env: server.env });
    assert.deepEqual(read, { code: 2, stdout: '', stderr: 'No policy named: missing\n' });
  });

  test('invalid policy exits 2', async () => {
    const write = await runCli(['policy', 'write', 'broken', '-'], { env: server.env, stdin: 'path "a" {\n  capabilities = ["fly"]\n}\n' });
    assert.equal(write.code, 2);
    assert.equal(write.stdout, '');
    assert.ok(
      write.stderr.startsWith(`Error uploading policy: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/policies/acl/broken\nCode: 400. Errors:\n\n* `),
      write.stderr,
    );
    assert.match(write.stderr, /fly/);
  });

  test('delete without permission exits 2', async () => {
    const token = await runCli(['token', 'create', '-field=token', '-policy=default'], { env: server.env });
    assert.equal(token.code, 0, token.stderr);
    const remove = await runCli(['policy', 'delete', 'default'], { env: { ...server.env, COFFER_TOKEN: token.stdout } });
    assert.deepEqual(remove, {
      code: 2,
      stdout: '',
      stderr: `Error deleting default: Error making API request.\n\nURL: DELETE ${server.address}/v1/sys/policies/acl/default\nCode: 403. Errors:\n\n* permission denied\n`,
    });
  });
});
