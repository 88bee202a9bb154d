import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { envelope, recorderToken, startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

const createdAuth = {
  client_token: 'hvs.created',
  accessor: 'accessor-1',
  policies: ['default', 'web'],
  token_policies: ['default', 'web'],
  identity_policies: null,
  metadata: { app: 'web' },
  orphan: false,
  entity_id: '',
  lease_duration: 3600,
  renewable: true,
};

describe('token create requests', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(() => ({ body: envelope({ auth: createdAuth }) }));
  });

  after(async () => {
    await recorder.close();
  });

  test('defaults send renewable only', async () => {
    const result = await runCli(['token', 'create'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests.length, 1);
    const request = recorder.requests[0];
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/v1/auth/token/create');
    assert.equal(request.headers['x-vault-token'], recorderToken);
    assert.equal(request.headers['x-vault-wrap-ttl'], undefined);
    assert.deepEqual(request.body, { renewable: true });
  });

  test('every flag reaches the body', async () => {
    const result = await runCli(
      [
        'token',
        'create',
        '-policy=web',
        '-policy=db,cache',
        '-metadata=app=web',
        '-metadata',
        'team=ops',
        '-ttl=1h',
        '-explicit-max-ttl=48h',
        '-period=30m',
        '-id=custom-id',
        '-display-name=ci runner',
        '-use-limit=3',
        '-no-default-policy',
        '-renewable=false',
        '-type=service',
      ],
      { env: recorder.env },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].path, '/v1/auth/token/create');
    assert.deepEqual(recorder.requests[0].body, {
      policies: ['web', 'db', 'cache'],
      meta: { app: 'web', team: 'ops' },
      ttl: '1h0m0s',
      explicit_max_ttl: '48h0m0s',
      period: '30m0s',
      id: 'custom-id',
      display_name: 'ci runner',
      num_uses: 3,
      no_default_policy: true,
      type: 'service',
      renewable: false,
    });
  });

  test('orphan uses create-orphan', async () => {
    await runCli(['token', 'create', '-orphan'], { env: recorder.env });
    assert.equal(recorder.requests[0].path, '/v1/auth/token/create-orphan');
    assert.deepEqual(recorder.requests[0].body, { no_parent: true, renewable: true });
  });

  test('role wins over orphan', async () => {
    await runCli(['token', 'create', '-role=deploy', '-orphan'], { env: recorder.env });
    assert.equal(recorder.requests[0].path, '/v1/auth/token/create/deploy');
  });

  test('batch type is never renewable', async () => {
    await runCli(['token', 'create', '-type=batch', '-renewable=true'], { env: recorder.env });
    assert.deepEqual(recorder.requests[0].body, { type: 'batch', renewable: false });
  });

  test('table output', async () => {
    const result = await runCli(['token', 'create'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stderr: '',
      stdout: [
        'Key                  Value',
        '---                  -----',
        'token                hvs.created',
        'token_accessor       accessor-1',
        'token_duration       1h',
        'token_renewable      true',
        'token_policies       ["default" "web"]',
        'identity_policies    []',
        'policies             ["default" "web"]',
        'token_meta_app       web',
        '',
      ].join('\n'),
    });
  });

  test('field prints the token alone', async () => {
    const result = await runCli(['token', 'create', '-field=token'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'hvs.created', stderr: '' });
  });

  test('json prints the envelope', async () => {
    const result = await runCli(['token', 'create', '-format=json'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout);
    assert.equal(parsed.auth.client_token, 'hvs.created');
    assert.deepEqual(Object.keys(parsed), ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'auth']);
  });

  test('server warnings go to stderr', async () => {
    recorder.respondWith(() => ({ body: envelope({ auth: createdAuth, warnings: ['TTL capped to the max TTL'] }) }));
    const result = await runCli(['token', 'create', '-ttl=1000h'], { env: recorder.env });
    assert.equal(result.code, 0);
    assert.equal(result.stderr, 'WARNING! The following warnings were returned from the server:\n\n  * TTL capped to the max TTL\n\n');
  });

  test('server error exits 2', async () => {
    recorder.respondWith(() => ({ status: 400, body: { errors: ['unknown role deploy'] } }));
    const result = await runCli(['token', 'create', '-role=deploy'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 2,
      stdout: '',
      stderr: `Error creating token: Error making API request.\n\nURL: POST ${recorder.address}/v1/auth/token/create/deploy\nCode: 400. Errors:\n\n* unknown role deploy\n`,
    });
  });

  const badInput: [string, string[], string][] = [
    ['unknown type', ['-type=default'], 'invalid value "default" for flag -type: use -type=service or -type=batch'],
    ['negative use limit', ['-use-limit=-1'], 'invalid value "-1" for flag -use-limit: use 0 for unlimited uses or a positive number'],
    ['negative ttl', ['-ttl=-5m'], 'invalid value "-5m0s" for flag -ttl: the duration is negative; use 0 or more, such as -ttl=1h'],
    ['bad duration', ['-period=soon'], 'invalid value "soon" for flag -period: expected a duration such as 30s, 15m, 24h or a number of seconds'],
    ['metadata without equals', ['-metadata=app'], 'invalid value "app" for flag -metadata: expected key=value, such as -metadata=version=2'],
    ['positional argument', ['extra'], 'Too many arguments (expected 0, got 1)'],
  ];
  for (const [name, flags, message] of badInput) {
    test(`${name} exits 1`, async () => {
      const result = await runCli(['token', 'create', ...flags], { env: recorder.env });
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `${message}\n` });
      assert.equal(recorder.requests.length, 0);
    });
  }
});

describe('token create on a dev server', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  test('child token with policies and metadata', async () => {
    const create = await runCli(['token', 'create', '-policy=web', '-ttl=1h', '-metadata=app=web', '-display-name=ci'], {
      env: server.env,
    });
    assert.equal(create.code, 0, create.stderr);
    assert.match(
      create.stdout,
      new RegExp(
        [
          '^Key                  Value',
          '---                  -----',
          'token                hvs\\.\\S+',
          'token_accessor       \\S+',
          'token_duration       1h',
          'token_renewable      true',
          'token_policies       \\["default" "web"\\]',
          'identity_policies    \\[\\]',
          'policies             \\["default" "web"\\]',
          'token_meta_app       web',
          '$',
        ].join('\\n'),
      ),
    );
  });

  test('token from field works for lookup', async () => {
    const create = await runCli(['token', 'create', '-field=token', '-use-limit=5', '-no-default-policy', '-policy=web'], {
      env: server.env,
    });
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stdout, /^hvs\.\S+$/);

    const lookup = await runCli(['token', 'lookup', '-format=json', create.stdout], { env: server.env });
    assert.equal(lookup.code, 0, lookup.stderr);
    const data = JSON.parse(lookup.stdout).data;
    assert.deepEqual(data.policies, ['web']);
    // The root token made the lookup, so the new token still has all its uses.
    assert.equal(data.num_uses, 5);
  });

  test('orphan periodic token as json', async () => {
    const create = await runCli(['token', 'create', '-format=json', '-orphan', '-period=30m', '-policy=web'], { env: server.env });
    assert.equal(create.code, 0, create.stderr);
    const auth = JSON.parse(create.stdout).auth;
    assert.equal(auth.orphan, true);
    assert.equal(auth.lease_duration, 1800);
    assert.equal(auth.renewable, true);
  });

  test('batch token is not renewable', async () => {
    const create = await runCli(['token', 'create', '-format=json', '-type=batch', '-policy=web', '-ttl=10m'], { env: server.env });
    assert.equal(create.code, 0, create.stderr);
    const auth = JSON.parse(create.stdout).auth;
    assert.equal(auth.renewable, false);
    assert.equal(auth.token_type, 'batch');
  });

  test('unknown role exits 2', async () => {
    const create = await runCli(['token', 'create', '-role=missing'], { env: server.env });
    assert.deepEqual(create, {
      code: 2,
      stdout: '',
      stderr: `Error creating token: Error making API request.\n\nURL: POST ${server.address}/v1/auth/token/create/missing\nCode: 400. Errors:\n\n* unknown role missing\n`,
    });
  });

  test('role limits the policies', async () => {
    const role = await runCli(['write', 'auth/token/roles/deploy', 'allowed_policies=web', 'orphan=true'], { env: server.env });
    assert.equal(role.code, 0, role.stderr);

    const create = await runCli(['token', 'create', '-format=json', '-role=deploy'], { env: server.env });
    assert.equal(create.code, 0, create.stderr);
    const auth = JSON.parse(create.stdout).auth;
    assert.deepEqual(auth.policies, ['default', 'web']);
    assert.equal(auth.orphan, true);

    const denied = await runCli(['token', 'create', '-role=deploy', '-policy=admin'], { env: server.env });
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /\* token policies \(admin\) are not allowed by the role "deploy"\n$/);
  });
});
