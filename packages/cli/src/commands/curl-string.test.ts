import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { recorderToken, startRecorder } from '../test-recorder.js';

describe('-output-curl-string', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
  });

  after(async () => {
    await recorder.close();
  });

  test('read prints curl and sends nothing', async () => {
    const result = await runCli(['read', '-output-curl-string', 'secret/foo'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stdout: `curl -H "X-Vault-Request: true" -H "X-Vault-Token: $(coffer print token)" ${recorder.address}/v1/secret/foo\n`,
      stderr: '',
    });
    assert.equal(recorder.requests.length, 0);
  });

  test('monitor prints curl and streams nothing', async () => {
    const result = await runCli(['monitor', '-output-curl-string', '-log-level=debug'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stdout: `curl -H "X-Vault-Request: true" -H "X-Vault-Token: $(coffer print token)" '${recorder.address}/v1/sys/monitor?log_level=debug&log_format=standard'\n`,
      stderr: '',
    });
    assert.equal(recorder.requests.length, 0);
  });

  test('write prints method and quoted body', async () => {
    const result = await runCli(['write', '-output-curl-string', 'kv/app', "motto=it's fine"], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stdout:
        'curl -X PUT -H "X-Vault-Request: true" -H "X-Vault-Token: $(coffer print token)" -H "Content-Type: application/json" ' +
        `-d '{"motto":"it'"'"'s fine"}' ${recorder.address}/v1/kv/app\n`,
      stderr: '',
    });
    assert.equal(recorder.requests.length, 0);
  });

  test('list URL with query is quoted', async () => {
    const result = await runCli(['list', '-output-curl-string', 'kv/'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stdout: `curl -H "X-Vault-Request: true" -H "X-Vault-Token: $(coffer print token)" '${recorder.address}/v1/kv/?list=true'\n`,
      stderr: '',
    });
  });

  test('kv get sends only the mount lookup', async () => {
    const result = await runCli(['kv', 'get', '-output-curl-string', 'kv/app'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stdout: `curl -H "X-Vault-Request: true" -H "X-Vault-Token: $(coffer print token)" ${recorder.address}/v1/kv/app\n`,
      stderr: '',
    });
    assert.deepEqual(recorder.requests.map((request) => request.path), ['/v1/sys/internal/ui/mounts/kv/app']);
  });

  test('skip verify becomes --insecure', async () => {
    const env = { ...recorder.env, COFFER_ADDR: 'https://127.0.0.1:8200', COFFER_SKIP_VERIFY: 'true' };
    const result = await runCli(['delete', '-output-curl-string', '-wrap-ttl=5m', 'kv/app'], { env });
    assert.deepEqual(result, {
      code: 0,
      stdout:
        'curl --insecure -X DELETE -H "X-Vault-Request: true" -H "X-Vault-Token: $(coffer print token)" ' +
        '-H "X-Vault-Wrap-TTL: 5m0s" https://127.0.0.1:8200/v1/kv/app\n',
      stderr: '',
    });
  });
});

describe('-header', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  after(async () => {
    await recorder.close();
  });

  test('adds headers to every request', async () => {
    const result = await runCli(['read', '-header=X-Team=blue', '-header', 'X-Trace=a=b', 'secret/foo'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].headers['x-team'], 'blue');
    assert.equal(recorder.requests[0].headers['x-trace'], 'a=b');
    assert.equal(recorder.requests[0].headers['x-vault-token'], recorderToken);
  });

  test('X-Vault header is rejected', async () => {
    const result = await runCli(['read', '-header=x-vault-token=other', 'secret/foo'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "x-vault-token" for flag -header: headers that start with X-Vault- are reserved for the CLI; set the token with COFFER_TOKEN and wrapping with -wrap-ttl\n',
    });
  });
});

describe('print token', () => {
  test('prints the token in use', async () => {
    const result = await runCli(['print', 'token'], { env: { COFFER_TOKEN: recorderToken, HOME: '/nonexistent' } });
    assert.deepEqual(result, { code: 0, stdout: `${recorderToken}\n`, stderr: '' });
  });

  test('prints an empty line without a token', async () => {
    const result = await runCli(['print', 'token'], { env: { HOME: '/nonexistent' } });
    assert.deepEqual(result, { code: 0, stdout: '\n', stderr: '' });
  });
});
