import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from './test-io.js';
import type { Recorder } from './test-recorder.js';
import { envelope, startRecorder, wrappedEnvelope } from './test-recorder.js';

/** Builds the table that a wrapped response prints, for the wrap_info of the recorder. */
function wrapTable(creationPath: string): string {
  return [
    'Key                              Value',
    '---                              -----',
    'wrapping_token:                  wrapping-token-1',
    'wrapping_accessor:               wrapping-accessor-1',
    'wrapping_token_ttl:              5m',
    'wrapping_token_creation_time:    2024-05-01 10:00:00 +0000 UTC',
    `wrapping_token_creation_path:    ${creationPath}`,
    '',
  ].join('\n');
}

describe('-wrap-ttl', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    // The recorder wraps a response only when the request asked for it, as the server does.
    recorder.respondWith((request) => {
      if (request.headers['x-vault-wrap-ttl'] === undefined) return { body: envelope({ data: { foo: 'bar' } }) };
      return { body: wrappedEnvelope(request.path.replace(/^\/v1\//, '')) };
    });
  });

  after(async () => {
    await recorder.close();
  });

  test('flag sends header as Go duration', async () => {
    const result = await runCli(['read', '-wrap-ttl=5m', 'secret/foo'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].headers['x-vault-wrap-ttl'], '5m0s');
  });

  test('seconds are accepted', async () => {
    await runCli(['read', '-wrap-ttl', '90', 'secret/foo'], { env: recorder.env });
    assert.equal(recorder.requests[0].headers['x-vault-wrap-ttl'], '1m30s');
  });

  test('environment sets the default', async () => {
    await runCli(['read', 'secret/foo'], { env: { ...recorder.env, VAULT_WRAP_TTL: '2m' } });
    assert.equal(recorder.requests[0].headers['x-vault-wrap-ttl'], '2m0s');
    await runCli(['read', 'secret/foo'], { env: { ...recorder.env, VAULT_WRAP_TTL: '2m', COFFER_WRAP_TTL: '1h' } });
    assert.equal(recorder.requests[1].headers['x-vault-wrap-ttl'], '1h0m0s');
  });

  test('zero flag turns off environment', async () => {
    const result = await runCli(['read', '-wrap-ttl=0', 'secret/foo'], { env: { ...recorder.env, COFFER_WRAP_TTL: '2m' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].headers['x-vault-wrap-ttl'], undefined);
    assert.match(result.stdout, /\nfoo    bar\n/);
  });

  test('wrapped response prints wrap info table', async () => {
    const result = await runCli(['read', '-wrap-ttl=5m', 'secret/foo'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: wrapTable('secret/foo'), stderr: '' });
  });

  test('wrapped response as json', async () => {
    const result = await runCli(['read', '-wrap-ttl=5m', '-format=json', 'secret/foo'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      request_id: 'req-1',
      lease_id: '',
      lease_duration: 0,
      renewable: false,
      data: null,
      warnings: null,
      wrap_info: {
        token: 'wrapping-token-1',
        accessor: 'wrapping-accessor-1',
        ttl: 300,
        creation_time: '2024-05-01T10:00:00Z',
        creation_path: 'secret/foo',
      },
    });
  });

  test('wrapped response field', async () => {
    const result = await runCli(['token', 'create', '-wrap-ttl=5m', '-field=wrapping_token'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'wrapping-token-1', stderr: '' });
  });

  test('wrap replaces success message', async () => {
    const result = await runCli(['policy', 'delete', '-wrap-ttl=5m', 'web'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: wrapTable('sys/policies/acl/web'), stderr: '' });
  });

  test('response the server did not wrap prints as usual', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { foo: 'bar' } }) }));
    const result = await runCli(['read', '-wrap-ttl=5m', 'secret/foo'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'Key    Value\n---    -----\nfoo    bar\n', stderr: '' });
  });

  test('kv mount lookup is not wrapped', async () => {
    recorder.respondWith((request) => {
      if (request.path.startsWith('/v1/sys/internal/ui/mounts/')) {
        return { body: envelope({ data: { path: 'secret/', type: 'kv', options: { version: '2' } } }) };
      }
      return { body: wrappedEnvelope('secret/data/app') };
    });
    const result = await runCli(['kv', 'get', '-wrap-ttl=5m', 'secret/app'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: wrapTable('secret/data/app'), stderr: '' });
    assert.deepEqual(
      recorder.requests.map((request) => [request.path, request.headers['x-vault-wrap-ttl']]),
      [
        ['/v1/sys/internal/ui/mounts/secret/app', undefined],
        ['/v1/secret/data/app', '5m0s'],
      ],
    );
  });

  test('kv patch pre-read is not wrapped', async () => {
    recorder.respondWith((request) => {
      if (request.path.startsWith('/v1/sys/internal/ui/mounts/')) {
        return { body: envelope({ data: { path: 'secret/', type: 'kv', options: { version: '2' } } }) };
      }
      if (request.method === 'GET') return { body: envelope({ data: { data: { a: '1' }, metadata: { version: 3 } } }) };
      return { body: wrappedEnvelope('secret/data/app') };
    });
    const result = await runCli(['kv', 'patch', '-method=rw', '-wrap-ttl=5m', 'secret/app', 'b=2'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: wrapTable('secret/data/app'), stderr: '' });
    assert.deepEqual(
      recorder.requests.map((request) => [request.method, request.path, request.headers['x-vault-wrap-ttl']]),
      [
        ['GET', '/v1/sys/internal/ui/mounts/secret/app', undefined],
        ['GET', '/v1/secret/data/app', undefined],
        ['PUT', '/v1/secret/data/app', '5m0s'],
      ],
    );
    assert.deepEqual(recorder.requests[2].body, { data: { a: '1', b: '2' }, options: { cas: 3 } });
  });

  test('negative flag exits 1', async () => {
    const result = await runCli(['read', '-wrap-ttl=-5m', 'secret/foo'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "-5m0s" for flag -wrap-ttl: the duration is negative; use a positive duration such as 5m, or 0 for no wrapping\n',
    });
    assert.equal(recorder.requests.length, 0);
  });

  test('bad flag value exits 1', async () => {
    const result = await runCli(['read', '-wrap-ttl=later', 'secret/foo'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "later" for flag -wrap-ttl: expected a duration such as 30s, 15m, 24h or a number of seconds\n',
    });
  });

  test('bad environment value exits 1', async () => {
    const result = await runCli(['read', 'secret/foo'], { env: { ...recorder.env, COFFER_WRAP_TTL: 'later' } });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "later" for COFFER_WRAP_TTL or VAULT_WRAP_TTL: expected a duration such as 5m or a number of seconds\n',
    });
    assert.equal(recorder.requests.length, 0);
  });
});
