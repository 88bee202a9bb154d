import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('read, write, delete and list', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
    const enabled = await runCli(['secrets', 'enable', '-path=kv1', '-version=1', 'kv'], { env: server.env });
    assert.equal(enabled.code, 0, enabled.stderr);
  });

  after(async () => {
    await server.close();
  });

  test('write then read table', async () => {
    const written = await runCli(['write', 'kv1/app', 'user=admin', 'port=5432'], { env: server.env });
    assert.deepEqual(written, { code: 0, stdout: 'Success! Data written to: kv1/app\n', stderr: '' });

    const read = await runCli(['read', 'kv1/app'], { env: server.env });
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'Key                 Value\n---                 -----\nrefresh_interval    768h\nport                5432\nuser                admin\n');
  });

  test('read json envelope', async () => {
    await runCli(['write', 'kv1/json', 'a=b'], { env: server.env });
    const read = await runCli(['read', '-format=json', 'kv1/json'], { env: server.env });
    assert.equal(read.code, 0, read.stderr);
    const parsed = JSON.parse(read.stdout);
    assert.deepEqual(Object.keys(parsed), ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'mount_type']);
    assert.deepEqual(parsed.data, { a: 'b' });
    assert.equal(parsed.lease_duration, 2764800);
  });

  test('read yaml envelope', async () => {
    await runCli(['write', 'kv1/yaml', 'a=b', 'port=5432'], { env: server.env });
    const read = await runCli(['read', '-format=yaml', 'kv1/yaml'], { env: { ...server.env } });
    assert.equal(read.code, 0, read.stderr);
    assert.equal(
      read.stdout.replace(/request_id: \S+/, 'request_id: <id>'),
      ['data:', '  a: b', '  port: "5432"', 'lease_duration: 2764800', 'lease_id: ""', 'mount_type: kv', 'renewable: false', 'request_id: <id>', 'warnings: null', ''].join('\n'),
    );
    const list = await runCli(['list', 'kv1'], { env: { ...server.env, VAULT_FORMAT: 'yaml' } });
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').includes('- yaml'), list.stdout);
  });

  test('read raw prints the body as sent', async () => {
    await runCli(['write', 'kv1/raw', 'a=b'], { env: server.env });
    const read = await runCli(['read', '-format=raw', 'kv1/raw'], { env: server.env });
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout.split('\n').length, 2, read.stdout);
    assert.deepEqual(JSON.parse(read.stdout).data, { a: 'b' });
    const missing = await runCli(['read', '-format=raw', 'kv1/raw-absent'], { env: server.env });
    assert.equal(missing.code, 2);
    assert.ok(missing.stderr.startsWith(`Error reading kv1/raw-absent: Error making API request.\n\nURL: GET ${server.address}/v1/kv1/raw-absent\nCode: 404.`), missing.stderr);
  });

  test('raw format only for read', async () => {
    const list = await runCli(['list', '-format=raw', 'kv1'], { env: server.env });
    assert.deepEqual(list, { code: 1, stdout: '', stderr: 'invalid value "raw" for flag -format: only "coffer read" prints the raw response\n' });
  });

  test('read field is raw', async () => {
    await runCli(['write', 'kv1/field', 'password=s3cret'], { env: server.env });
    const read = await runCli(['read', '-field=password', 'kv1/field'], { env: server.env });
    assert.deepEqual(read, { code: 0, stdout: 's3cret', stderr: '' });
  });

  test('read missing field exits 1', async () => {
    await runCli(['write', 'kv1/field', 'password=s3cret'], { env: server.env });
    const read = await runCli(['read', '-field=nope', 'kv1/field'], { env: server.env });
    assert.deepEqual(read, { code: 1, stdout: '', stderr: 'Field "nope" not present in secret\n' });
  });

  test('read missing path exits 2', async () => {
    const read = await runCli(['read', 'kv1/absent'], { env: server.env });
    assert.deepEqual(read, { code: 2, stdout: '', stderr: 'No value found at kv1/absent\n' });
  });

  test('write from stdin JSON', async () => {
    const written = await runCli(['write', 'kv1/stdin', '-'], { env: server.env, stdin: '{"nested": {"k": "v"}, "n": 3}' });
    assert.equal(written.code, 0, written.stderr);
    const read = await runCli(['read', '-format=json', '-field=nested', 'kv1/stdin'], { env: server.env });
    assert.equal(read.stdout, '{\n  "k": "v"\n}');
  });

  test('write value from file', async () => {
    const file = join(server.home, 'value.txt');
    await writeFile(file, 'from a file');
    const written = await runCli(['write', 'kv1/file', `content=@${file}`], { env: server.env });
    assert.equal(written.code, 0, written.stderr);
    const read = await runCli(['read', '-field=content', 'kv1/file'], { env: server.env });
    assert.equal(read.stdout, 'from a file');
  });

  test('write JSON object from a lone @file', async () => {
    const file = join(server.home, 'data.json');
    await writeFile(file, '{"user": "admin", "port": 5432}');
    const written = await runCli(['write', 'kv1/json-file', `@${file}`], { env: server.env });
    assert.deepEqual(written, { code: 0, stdout: 'Success! Data written to: kv1/json-file\n', stderr: '' });
    const read = await runCli(['read', '-format=json', '-field=port', 'kv1/json-file'], { env: server.env });
    assert.deepEqual(read, { code: 0, stdout: '5432', stderr: '' });
  });

  test('patch changes only given fields', async () => {
    await runCli(['kv', 'put', 'secret/patched', 'user=admin', 'port=5432'], { env: server.env });
    const patched = await runCli(['patch', 'secret/data/patched', '-'], { env: server.env, stdin: '{"data": {"port": "6543"}}' });
    assert.equal(patched.code, 0, patched.stderr);
    assert.match(patched.stdout, /^Key +Value\n-{3} +-{5}\ncreated_time +\S+\ncustom_metadata +<nil>\ndeletion_time +n\/a\ndestroyed +false\nversion +2\n$/);
    const read = await runCli(['kv', 'get', '-format=json', '-field=data', 'secret/patched'], { env: server.env });
    assert.deepEqual(JSON.parse(read.stdout), { port: '6543', user: 'admin' });
  });

  test('path-help prints the help text', async () => {
    const help = await runCli(['path-help', 'sys/mounts'], { env: server.env });
    assert.deepEqual(help, { code: 0, stdout: '## List the mounted secrets engines.\n\nReturns every mount with its type, accessor, options and tunables.\n', stderr: '' });
    const json = await runCli(['path-help', '-format=json', 'sys/mounts'], { env: server.env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).help, '## List the mounted secrets engines.\n\nReturns every mount with its type, accessor, options and tunables.');
  });

  test('path-help without token exits 2', async () => {
    const help = await runCli(['path-help', 'sys/mounts'], { env: { ...server.env, COFFER_TOKEN: 'bogus' } });
    assert.equal(help.code, 2);
    assert.ok(help.stderr.startsWith('Error retrieving help: Error making API request.'), help.stderr);
  });

  test('patch without data exits 1', async () => {
    const patched = await runCli(['patch', 'secret/data/patched'], { env: server.env });
    assert.deepEqual(patched, { code: 1, stdout: '', stderr: 'Must supply data or use -force: give key=value pairs after the path, or -force to send no data\n' });
  });

  test('write unreadable file exits 1', async () => {
    const file = join(server.home, 'missing.txt');
    const written = await runCli(['write', 'kv1/file', `content=@${file}`], { env: server.env });
    assert.equal(written.code, 1);
    assert.match(written.stderr, new RegExp(`^Failed to parse K=V data: error reading file "${file}" for key "content": ENOENT`));
  });

  test('write without data exits 1', async () => {
    const written = await runCli(['write', 'kv1/x'], { env: server.env });
    assert.deepEqual(written, {
      code: 1,
      stdout: '',
      stderr: 'Must supply data or use -force: give key=value pairs after the path, or -force to write no data\n',
    });
  });

  test('write server error exits 2', async () => {
    const written = await runCli(['write', 'secret/data/x', 'foo=bar'], { env: server.env });
    assert.equal(written.code, 2);
    assert.ok(
      written.stderr.startsWith(
        `Error writing data to secret/data/x: Error making API request.\n\nURL: PUT ${server.address}/v1/secret/data/x\nCode: 400. Errors:\n\n* `,
      ),
      written.stderr,
    );
  });

  test('write without token exits 2', async () => {
    const env = { COFFER_ADDR: server.address, HOME: server.home };
    const written = await runCli(['write', 'kv1/x', 'a=b'], { env: { ...env, COFFER_TOKEN: 'wrong' } });
    assert.equal(written.code, 2);
    assert.equal(
      written.stderr,
      `Error writing data to kv1/x: Error making API request.\n\nURL: PUT ${server.address}/v1/kv1/x\nCode: 403. Errors:\n\n* permission denied\n`,
    );
  });

  test('list keys table and json', async () => {
    await runCli(['write', 'kv1/dir/one', 'a=1'], { env: server.env });
    await runCli(['write', 'kv1/dir/sub/two', 'a=2'], { env: server.env });
    const table = await runCli(['list', 'kv1/dir'], { env: server.env });
    assert.deepEqual(table, { code: 0, stdout: 'Keys\n----\none\nsub/\n', stderr: '' });
    const json = await runCli(['list', '-format=json', 'kv1/dir/'], { env: server.env });
    assert.deepEqual(JSON.parse(json.stdout), ['one', 'sub/']);
  });

  test('list missing path exits 2', async () => {
    const listed = await runCli(['list', 'kv1/nothing-here'], { env: server.env });
    assert.deepEqual(listed, { code: 2, stdout: '', stderr: 'No value found at kv1/nothing-here/\n' });
  });

  test('list missing path json prints empty object', async () => {
    const listed = await runCli(['list', '-format=json', 'kv1/nothing-here'], { env: server.env });
    assert.deepEqual(listed, { code: 2, stdout: '{}\n', stderr: '' });
  });

  test('delete then read exits 2', async () => {
    await runCli(['write', 'kv1/gone', 'a=1'], { env: server.env });
    const deleted = await runCli(['delete', 'kv1/gone'], { env: server.env });
    assert.deepEqual(deleted, { code: 0, stdout: 'Success! Data deleted (if it existed) at: kv1/gone\n', stderr: '' });
    const read = await runCli(['read', 'kv1/gone'], { env: server.env });
    assert.equal(read.code, 2);
  });

  test('missing path argument exits 1', async () => {
    const read = await runCli(['read'], { env: server.env });
    assert.deepEqual(read, { code: 1, stdout: '', stderr: 'Not enough arguments (expected 1 or more, got 0)\n' });
  });

  test('flag after path warns', async () => {
    const written = await runCli(['write', 'kv1/late', 'a=b', '-force'], { env: server.env });
    assert.equal(written.code, 1);
    assert.equal(
      written.stderr,
      'Flags must come before positional arguments. These arguments were not parsed\nas flags: [-force]\n' +
        'Failed to parse K=V data: invalid argument "-force": expected key=value, key=@file, key=-, or a lone @file or - for a JSON object\n',
    );
  });
});
