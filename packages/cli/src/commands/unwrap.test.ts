import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { envelope, recorderToken, startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

describe('unwrap requests', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(() => ({ body: envelope({ data: { password: 'hunter2' } }) }));
  });

  after(async () => {
    await recorder.close();
  });

  test('token argument goes in the body', async () => {
    const result = await runCli(['unwrap', 'wrapping-token'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'Key         Value\n---         -----\npassword    hunter2\n', stderr: '' });
    const request = recorder.requests[0];
    assert.equal(request.method, 'PUT');
    assert.equal(request.path, '/v1/sys/wrapping/unwrap');
    assert.equal(request.headers['x-vault-token'], recorderToken);
    assert.deepEqual(request.body, { token: 'wrapping-token' });
  });

  test('without client token the wrapping token authenticates', async () => {
    const env = { COFFER_ADDR: recorder.address, HOME: recorder.env.HOME };
    const result = await runCli(['unwrap', 'wrapping-token'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].headers['x-vault-token'], 'wrapping-token');
    assert.equal(recorder.requests[0].body, undefined);
  });

  test('without argument the client token is unwrapped', async () => {
    const result = await runCli(['unwrap'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].headers['x-vault-token'], recorderToken);
    assert.equal(recorder.requests[0].body, undefined);
  });

  test('argument equal to client token sends no body', async () => {
    await runCli(['unwrap', recorderToken], { env: recorder.env });
    assert.equal(recorder.requests[0].body, undefined);
  });

  test('field and json', async () => {
    const field = await runCli(['unwrap', '-field=password', 'wrapping-token'], { env: recorder.env });
    assert.deepEqual(field, { code: 0, stdout: 'hunter2', stderr: '' });
    const json = await runCli(['unwrap', '-format=json', 'wrapping-token'], { env: recorder.env });
    assert.deepEqual(JSON.parse(json.stdout).data, { password: 'hunter2' });
  });

  test('wrapped list prints keys', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { keys: ['b', 'a/'] } }) }));
    const result = await runCli(['unwrap', 'wrapping-token'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'Keys\n----\na/\nb\n', stderr: '' });
  });

  test('empty 404 exits 2', async () => {
    recorder.respondWith(() => ({ status: 404, body: { errors: [] } }));
    const result = await runCli(['unwrap', 'wrapping-token'], { env: recorder.env });
    assert.deepEqual(result, { code: 2, stdout: '', stderr: 'Could not find wrapped response\n' });
  });

  test('invalid token names the step', async () => {
    recorder.respondWith(() => ({ status: 400, body: { errors: ['wrapping token is not valid or does not exist'] } }));
    const result = await runCli(['unwrap', 'wrapping-token'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 2,
      stdout: '',
      stderr: [
        'Error unwrapping: Error making API request.',
        '',
        `URL: PUT ${recorder.address}/v1/sys/wrapping/unwrap`,
        'Code: 400. Errors:',
        '',
        '* wrapping token is not valid or does not exist',
        '',
      ].join('\n'),
    });
  });

  test('no token at all exits 1', async () => {
    const result = await runCli(['unwrap'], { env: { COFFER_ADDR: recorder.address, HOME: recorder.env.HOME } });
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'No wrapping token to unwrap: pass it as an argument, or set COFFER_TOKEN to it\n' });
    assert.equal(recorder.requests.length, 0);
  });

  test('two arguments exit 1', async () => {
    const result = await runCli(['unwrap', 'a', 'b'], { env: recorder.env });
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'Too many arguments (expected 0-1, got 2)\n' });
  });
});

describe('wrap and unwrap on a dev server', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  test('wrapped token create unwraps once', async () => {
    const wrapped = await runCli(['token', 'create', '-wrap-ttl=5m', '-policy=default'], { env: server.env });
    assert.equal(wrapped.code, 0, wrapped.stderr);
    assert.match(
      wrapped.stdout,
      new RegExp(
        [
          '^Key                              Value',
          '---                              -----',
          'wrapping_token:                  hvs\\.\\S+',
          'wrapping_accessor:               \\S+',
          'wrapping_token_ttl:              5m',
          'wrapping_token_creation_time:    \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? \\+0000 UTC',
          'wrapping_token_creation_path:    auth/token/create',
          'wrapped_accessor:                \\S+',
          '$',
        ].join('\\n'),
      ),
    );
    const wrappingToken = /wrapping_token: +(\S+)/.exec(wrapped.stdout)![1];

    const unwrapped = await runCli(['unwrap', wrappingToken], { env: server.env });
    assert.equal(unwrapped.code, 0, unwrapped.stderr);
    assert.match(unwrapped.stdout, /\ntoken_policies       \["default"\]\n/);
    const newToken = /\ntoken +(\S+)\n/.exec(unwrapped.stdout)![1];
    assert.equal((await runCli(['token', 'lookup', newToken], { env: server.env })).code, 0);

    const again = await runCli(['unwrap', wrappingToken], { env: server.env });
    assert.deepEqual(again, {
      code: 2,
      stdout: '',
      stderr: `Error unwrapping: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/wrapping/unwrap\nCode: 400. Errors:\n\n* wrapping token is not valid or does not exist\n`,
    });
  });

  test('wrapping token as client token', async () => {
    const wrappingToken = await runCli(['token', 'lookup', '-wrap-ttl=1m', '-format=json'], { env: server.env });
    assert.equal(wrappingToken.code, 0, wrappingToken.stderr);
    const wrapInfo = JSON.parse(wrappingToken.stdout).wrap_info;
    assert.equal(wrapInfo.creation_path, 'auth/token/lookup-self');
    assert.equal(wrapInfo.ttl, 60);

    const unwrapped = await runCli(['unwrap', '-format=json'], { env: { ...server.env, COFFER_TOKEN: wrapInfo.token } });
    assert.equal(unwrapped.code, 0, unwrapped.stderr);
    assert.equal(JSON.parse(unwrapped.stdout).data.id, testRootToken);
  });

  test('wrapped kv list unwraps to keys', async () => {
    const put = await runCli(['kv', 'put', 'secret/apps/web', 'password=hunter2'], { env: server.env });
    assert.equal(put.code, 0, put.stderr);
    const wrapped = await runCli(['kv', 'list', '-wrap-ttl=1m', '-format=json', 'secret/'], { env: server.env });
    assert.equal(wrapped.code, 0, wrapped.stderr);
    const wrapInfo = JSON.parse(wrapped.stdout).wrap_info;
    assert.equal(wrapInfo.creation_path, 'secret/metadata/');

    const unwrapped = await runCli(['unwrap', wrapInfo.token], { env: server.env });
    assert.deepEqual(unwrapped, { code: 0, stdout: 'Keys\n----\napps/\n', stderr: '' });
  });

  test('wrapped kv get unwraps to data field', async () => {
    await runCli(['kv', 'put', 'secret/db', 'password=s3cret'], { env: server.env });
    const wrappingToken = await runCli(['kv', 'get', '-wrap-ttl=1m', '-field=wrapping_token', 'secret/db'], { env: server.env });
    assert.equal(wrappingToken.code, 0, wrappingToken.stderr);

    const unwrapped = await runCli(['unwrap', '-field=data', '-format=json', wrappingToken.stdout], { env: server.env });
    assert.deepEqual(unwrapped, { code: 0, stdout: '{\n  "password": "s3cret"\n}', stderr: '' });
  });

  test('unknown wrapping token exits 2', async () => {
    const result = await runCli(['unwrap', 'not-a-wrapping-token'], { env: server.env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Code: 400\. Errors:\n\n\* wrapping token is not valid or does not exist\n$/);
  });
});
