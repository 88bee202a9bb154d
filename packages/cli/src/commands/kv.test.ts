import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

/** Replaces the timestamps of KV metadata, which change on every run. */
function maskTimes(text: string): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<time>');
}

describe('kv get, put, patch and list', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
    const enabled = await runCli(['secrets', 'enable', '-path=kv1', '-version=1', 'kv'], { env: server.env });
    assert.equal(enabled.code, 0, enabled.stderr);
  });

  after(async () => {
    await server.close();
  });

  test('put v2 prints metadata', async () => {
    const put = await runCli(['kv', 'put', 'secret/creds', 'user=admin'], { env: server.env });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(
      maskTimes(put.stdout),
      [
        '== Secret Path ==',
        'secret/data/creds',
        '',
        '======= Metadata =======',
        'Key                Value',
        '---                -----',
        'created_time       <time>',
        'custom_metadata    <nil>',
        'deletion_time      n/a',
        'destroyed          false',
        'version            1',
        '',
      ].join('\n'),
    );
  });

  test('put v2 reads a JSON object from a lone @file', async () => {
    const file = join(server.home, 'creds.json');
    await writeFile(file, '{"user": "admin", "password": "hunter2"}');
    const put = await runCli(['kv', 'put', 'secret/from-file', `@${file}`], { env: server.env });
    assert.equal(put.code, 0, put.stderr);
    const get = await runCli(['kv', 'get', '-format=json', '-field=data', 'secret/from-file'], { env: server.env });
    assert.deepEqual(get, { code: 0, stdout: '{\n  "password": "hunter2",\n  "user": "admin"\n}', stderr: '' });
  });

  test('get v2 prints metadata and data', async () => {
    await runCli(['kv', 'put', 'secret/app', 'password=hunter2', 'user=admin'], { env: server.env });
    const get = await runCli(['kv', 'get', 'secret/app'], { env: server.env });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(
      maskTimes(get.stdout),
      [
        '= Secret Path =',
        'secret/data/app',
        '',
        '======= Metadata =======',
        'Key                Value',
        '---                -----',
        'created_time       <time>',
        'custom_metadata    <nil>',
        'deletion_time      n/a',
        'destroyed          false',
        'version            1',
        '',
        '====== Data ======',
        'Key         Value',
        '---         -----',
        'password    hunter2',
        'user        admin',
        '',
      ].join('\n'),
    );
  });

  test('get with mount flag and field', async () => {
    await runCli(['kv', 'put', '-mount=secret', 'field-test', 'token=abc'], { env: server.env });
    const get = await runCli(['kv', 'get', '-mount=secret', '-field=token', 'field-test'], { env: server.env });
    assert.deepEqual(get, { code: 0, stdout: 'abc', stderr: '' });
  });

  test('get json prints envelope', async () => {
    await runCli(['kv', 'put', 'secret/json', 'a=b'], { env: server.env });
    const get = await runCli(['kv', 'get', '-format=json', 'secret/json'], { env: server.env });
    assert.equal(get.code, 0, get.stderr);
    const parsed = JSON.parse(get.stdout);
    assert.deepEqual(parsed.data.data, { a: 'b' });
    assert.equal(parsed.data.metadata.version, 1);
    assert.equal(parsed.lease_id, '');
  });

  test('get older version', async () => {
    await runCli(['kv', 'put', 'secret/versions', 'n=1'], { env: server.env });
    await runCli(['kv', 'put', 'secret/versions', 'n=2'], { env: server.env });
    const latest = await runCli(['kv', 'get', '-field=n', 'secret/versions'], { env: server.env });
    assert.equal(latest.stdout, '2');
    const first = await runCli(['kv', 'get', '-version=1', '-field=n', 'secret/versions'], { env: server.env });
    assert.deepEqual(first, { code: 0, stdout: '1', stderr: '' });
  });

  test('get missing key exits 2', async () => {
    const get = await runCli(['kv', 'get', 'secret/absent'], { env: server.env });
    assert.deepEqual(get, { code: 2, stdout: '', stderr: 'No value found at secret/data/absent\n' });
  });

  test('cas mismatch exits 2', async () => {
    await runCli(['kv', 'put', 'secret/cas', 'a=1'], { env: server.env });
    const put = await runCli(['kv', 'put', '-cas=0', 'secret/cas', 'a=2'], { env: server.env });
    assert.equal(put.code, 2);
    assert.ok(
      put.stderr.startsWith(`Error writing data to secret/data/cas: Error making API request.\n\nURL: PUT ${server.address}/v1/secret/data/cas\nCode: 400. Errors:\n\n* `),
      put.stderr,
    );
    const ok = await runCli(['kv', 'put', '-cas=1', 'secret/cas', 'a=2'], { env: server.env });
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('put without data exits 1', async () => {
    const put = await runCli(['kv', 'put', 'secret/x'], { env: server.env });
    assert.deepEqual(put, {
      code: 1,
      stdout: '',
      stderr: 'Must supply data: give key=value pairs after the key, such as coffer kv put secret/x foo=bar\n',
    });
  });

  test('put from stdin JSON', async () => {
    const put = await runCli(['kv', 'put', 'secret/stdin', '-'], { env: server.env, stdin: '{"k": "v"}' });
    assert.equal(put.code, 0, put.stderr);
    const get = await runCli(['kv', 'get', '-field=k', 'secret/stdin'], { env: server.env });
    assert.equal(get.stdout, 'v');
  });

  test('v1 put and get', async () => {
    const put = await runCli(['kv', 'put', 'kv1/app', 'user=admin'], { env: server.env });
    assert.deepEqual(put, { code: 0, stdout: 'Success! Data written to: kv1/app\n', stderr: '' });
    const get = await runCli(['kv', 'get', 'kv1/app'], { env: server.env });
    assert.deepEqual(get, { code: 0, stdout: '==== Data ====\nKey     Value\n---     -----\nuser    admin\n', stderr: '' });
    const viaMount = await runCli(['kv', 'get', '-mount=kv1', '-field=user', 'app'], { env: server.env });
    assert.deepEqual(viaMount, { code: 0, stdout: 'admin', stderr: '' });
  });

  test('patch merges and removes keys', async () => {
    await runCli(['kv', 'put', 'secret/patch', 'a=1', 'b=2'], { env: server.env });
    const patched = await runCli(['kv', 'patch', 'secret/patch', 'b=3', 'c=4'], { env: server.env });
    assert.equal(patched.code, 0, patched.stderr);
    assert.match(patched.stdout, /^== Secret Path ==\nsecret\/data\/patch\n/);
    assert.match(patched.stdout, /\nversion            2\n$/);

    const removed = await runCli(['kv', 'patch', '-remove-data=a', 'secret/patch'], { env: server.env });
    assert.equal(removed.code, 0, removed.stderr);
    const get = await runCli(['kv', 'get', '-format=json', '-field=data', 'secret/patch'], { env: server.env });
    assert.deepEqual(JSON.parse(get.stdout), { b: '3', c: '4' });
  });

  test('patch with rw method', async () => {
    await runCli(['kv', 'put', 'secret/rw', 'a=1'], { env: server.env });
    const patched = await runCli(['kv', 'patch', '-method=rw', 'secret/rw', 'b=2'], { env: server.env });
    assert.equal(patched.code, 0, patched.stderr);
    const get = await runCli(['kv', 'get', '-format=json', '-field=data', 'secret/rw'], { env: server.env });
    assert.deepEqual(JSON.parse(get.stdout), { a: '1', b: '2' });
  });

  test('patch on v1 exits 2', async () => {
    const patched = await runCli(['kv', 'patch', 'kv1/app', 'a=1'], { env: server.env });
    assert.deepEqual(patched, { code: 2, stdout: '', stderr: 'K/V engine mount must be version 2 for patch support\n' });
  });

  test('patch with bad method exits 1', async () => {
    const patched = await runCli(['kv', 'patch', '-method=merge', 'secret/rw', 'a=1'], { env: server.env });
    assert.deepEqual(patched, { code: 1, stdout: '', stderr: 'invalid value "merge" for flag -method: use "patch" or "rw"\n' });
  });

  test('list v2 and v1', async () => {
    await runCli(['kv', 'put', 'secret/list/one', 'a=1'], { env: server.env });
    await runCli(['kv', 'put', 'secret/list/dir/two', 'a=1'], { env: server.env });
    const v2 = await runCli(['kv', 'list', 'secret/list'], { env: server.env });
    assert.deepEqual(v2, { code: 0, stdout: 'Keys\n----\ndir/\none\n', stderr: '' });
    const viaMount = await runCli(['kv', 'list', '-mount=secret', '-format=json', 'list/dir'], { env: server.env });
    assert.deepEqual(JSON.parse(viaMount.stdout), ['two']);
    const v1 = await runCli(['kv', 'list', 'kv1'], { env: server.env });
    assert.deepEqual(v1, { code: 0, stdout: 'Keys\n----\napp\n', stderr: '' });
  });

  test('list missing path exits 2', async () => {
    const listed = await runCli(['kv', 'list', 'secret/no-such-dir'], { env: server.env });
    assert.deepEqual(listed, { code: 2, stdout: '', stderr: 'No value found at secret/metadata/no-such-dir\n' });
  });

  test('path outside any mount exits 2', async () => {
    const get = await runCli(['kv', 'get', 'nomount/foo'], { env: server.env });
    assert.equal(get.code, 2);
    assert.equal(get.stdout, '');
    assert.ok(get.stderr.length > 0);
  });
});

describe('kv with integers past 2^53', () => {
  let server: TestServer;
  const data = '{"id": 12345678901234567890, "neg": -98765432109876543210}';

  before(async () => {
    server = await startDevServer();
    const file = join(server.home, 'big.json');
    await writeFile(file, data);
    const put = await runCli(['kv', 'put', 'secret/big', `@${file}`], { env: server.env });
    assert.equal(put.code, 0, put.stderr);
  });

  after(async () => {
    await server.close();
  });

  test('get prints the digits in a table', async () => {
    const get = await runCli(['kv', 'get', 'secret/big'], { env: server.env });
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /=== Data ===\nKey    Value\n---    -----\nid     12345678901234567890\nneg    -98765432109876543210\n$/);
  });

  test('get prints the digits as JSON', async () => {
    const get = await runCli(['kv', 'get', '-format=json', '-field=data', 'secret/big'], { env: server.env });
    assert.deepEqual(get, { code: 0, stdout: '{\n  "id": 12345678901234567890,\n  "neg": -98765432109876543210\n}', stderr: '' });
  });

  test('get prints one field as digits', async () => {
    const get = await runCli(['kv', 'get', '-field=neg', 'secret/big'], { env: server.env });
    assert.deepEqual(get, { code: 0, stdout: '-98765432109876543210', stderr: '' });
  });
});
