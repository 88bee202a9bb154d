import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { emptyData, envelope, startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

describe('token lookup', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  test('self lookup table', async () => {
    const lookup = await runCli(['token', 'lookup'], { env: server.env });
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.match(lookup.stdout, /^Key +Value\n-{3} +-{5}\n/);
    assert.match(lookup.stdout, new RegExp(`\nid +${testRootToken}\n`));
    assert.match(lookup.stdout, /\npolicies +\[root\]\n/);
    assert.match(lookup.stdout, /\nttl +0s\n/);
  });

  test('lookup by token and accessor', async () => {
    const self = await runCli(['token', 'lookup', '-format=json'], { env: server.env });
    const accessor = JSON.parse(self.stdout).data.accessor as string;

    const byToken = await runCli(['token', 'lookup', '-format=json', testRootToken], { env: server.env });
    assert.equal(byToken.code, 0, byToken.stderr);
    assert.equal(JSON.parse(byToken.stdout).data.accessor, accessor);

    const byAccessor = await runCli(['token', 'lookup', '-accessor', '-format=json', accessor], { env: server.env });
    assert.equal(byAccessor.code, 0, byAccessor.stderr);
    assert.deepEqual(JSON.parse(byAccessor.stdout).data.policies, ['root']);
  });

  test('bad token exits 2', async () => {
    const lookup = await runCli(['token', 'lookup'], { env: { ...server.env, COFFER_TOKEN: 'bogus' } });
    assert.deepEqual(lookup, {
      code: 2,
      stdout: '',
      stderr: `Error looking up token: Error making API request.\n\nURL: GET ${server.address}/v1/auth/token/lookup-self\nCode: 403. Errors:\n\n* permission denied\n`,
    });
  });

  test('accessor flag without argument exits 1', async () => {
    const lookup = await runCli(['token', 'lookup', '-accessor'], { env: server.env });
    assert.deepEqual(lookup, {
      code: 1,
      stdout: '',
      stderr: 'Not enough arguments with -accessor (expected 1, got 0): pass the accessor to look up\n',
    });
  });
});

describe('token renew, revoke and capabilities requests', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(emptyData);
  });

  after(async () => {
    await recorder.close();
  });

  /** Method, path and body of the only request a run sent. */
  function onlyRequest(): { method: string; path: string; body: unknown } {
    assert.equal(recorder.requests.length, 1);
    const { method, path, body } = recorder.requests[0];
    return { method, path, body };
  }

  const cases: [string, string[], { method: string; path: string; body: unknown }][] = [
    ['lookup self', ['token', 'lookup'], { method: 'GET', path: '/v1/auth/token/lookup-self', body: undefined }],
    ['lookup token', ['token', 'lookup', 'tok'], { method: 'POST', path: '/v1/auth/token/lookup', body: { token: 'tok' } }],
    ['lookup accessor', ['token', 'lookup', '-accessor', 'acc'], { method: 'POST', path: '/v1/auth/token/lookup-accessor', body: { accessor: 'acc' } }],
    ['renew self', ['token', 'renew'], { method: 'PUT', path: '/v1/auth/token/renew-self', body: {} }],
    ['renew token', ['token', 'renew', '-increment=1h', 'tok'], { method: 'PUT', path: '/v1/auth/token/renew', body: { increment: 3600, token: 'tok' } }],
    ['renew alias i', ['token', 'renew', '-i', '90s'], { method: 'PUT', path: '/v1/auth/token/renew-self', body: { increment: 90 } }],
    ['renew accessor', ['token', 'renew', '-accessor', 'acc'], { method: 'PUT', path: '/v1/auth/token/renew-accessor', body: { accessor: 'acc' } }],
    ['revoke token', ['token', 'revoke', 'tok'], { method: 'PUT', path: '/v1/auth/token/revoke', body: { token: 'tok' } }],
    ['revoke self', ['token', 'revoke', '-self'], { method: 'PUT', path: '/v1/auth/token/revoke-self', body: {} }],
    ['revoke accessor', ['token', 'revoke', '-accessor', 'acc'], { method: 'PUT', path: '/v1/auth/token/revoke-accessor', body: { accessor: 'acc' } }],
    ['revoke orphan', ['token', 'revoke', '-mode=orphan', 'tok'], { method: 'PUT', path: '/v1/auth/token/revoke-orphan', body: { token: 'tok' } }],
    ['revoke path', ['token', 'revoke', '-mode=path', 'auth/token/create'], { method: 'PUT', path: '/v1/sys/leases/revoke-prefix/auth/token/create', body: {} }],
    ['capabilities self', ['token', 'capabilities', 'secret/a'], { method: 'POST', path: '/v1/sys/capabilities-self', body: { paths: ['secret/a'] } }],
    ['capabilities token', ['token', 'capabilities', 'tok', 'secret/a'], { method: 'POST', path: '/v1/sys/capabilities', body: { token: 'tok', paths: ['secret/a'] } }],
    [
      'capabilities accessor',
      ['token', 'capabilities', '-accessor', 'acc', 'secret/a'],
      { method: 'POST', path: '/v1/sys/capabilities-accessor', body: { accessor: 'acc', paths: ['secret/a'] } },
    ],
  ];
  for (const [name, argv, expected] of cases) {
    test(`${name} request`, async () => {
      recorder.respondWith(() => ({ body: envelope({ data: { capabilities: ['read'], 'secret/a': ['read'] } }) }));
      const result = await runCli(argv, { env: recorder.env });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(onlyRequest(), expected);
    });
  }

  test('revoke prints success', async () => {
    recorder.respondWith(() => ({}));
    const result = await runCli(['token', 'revoke', 'tok'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'Success! Revoked token (if it existed)\n', stderr: '' });
  });

  test('renew table and field', async () => {
    const auth = { client_token: 'tok', accessor: 'acc', policies: ['default'], token_policies: ['default'], lease_duration: 7200, renewable: true };
    recorder.respondWith(() => ({ body: envelope({ auth }) }));
    const table = await runCli(['token', 'renew', 'tok'], { env: recorder.env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /\ntoken_duration       2h\n/);
    const field = await runCli(['token', 'renew', '-field=token_duration', 'tok'], { env: recorder.env });
    assert.deepEqual(field, { code: 0, stdout: '7200', stderr: '' });
  });

  test('capabilities table sorts and joins', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { capabilities: ['update', 'create', 'read'], 'secret/a': ['update', 'create', 'read'] } }) }));
    const table = await runCli(['token', 'capabilities', 'secret/a'], { env: recorder.env });
    assert.deepEqual(table, { code: 0, stdout: 'create, read, update\n', stderr: '' });
    const json = await runCli(['token', 'capabilities', '-format=json', 'secret/a'], { env: recorder.env });
    assert.deepEqual(json, { code: 0, stdout: '[\n  "update",\n  "create",\n  "read"\n]\n', stderr: '' });
  });

  test('capabilities missing from response exits 2', async () => {
    const result = await runCli(['token', 'capabilities', 'secret/a'], { env: recorder.env });
    assert.deepEqual(result, { code: 2, stdout: '', stderr: 'No capabilities found: the server returned no capabilities for secret/a\n' });
  });

  const badInput: [string, string[], string][] = [
    ['renew with two arguments', ['token', 'renew', 'a', 'b'], 'Too many arguments (expected 0-1, got 2)'],
    ['renew accessor without argument', ['token', 'renew', '-accessor'], 'Not enough arguments with -accessor (expected 1, got 0): pass the accessor to renew'],
    ['renew negative increment', ['token', 'renew', '-increment=-1h'], 'invalid value "-1h0m0s" for flag -increment: the duration is negative; use a positive duration such as 1h'],
    ['revoke without argument', ['token', 'revoke'], 'Not enough arguments (expected 1 or -self, got 0): pass the token to revoke, or -self for the current token'],
    ['revoke with two arguments', ['token', 'revoke', 'a', 'b'], 'Too many arguments (expected 1 or -self, got 2)'],
    ['revoke self with argument', ['token', 'revoke', '-self', 'a'], 'Too many arguments with -self (expected 0, got 1): -self revokes the token the CLI is using'],
    ['revoke self with accessor', ['token', 'revoke', '-self', '-accessor'], '-self and -accessor cannot be used together: -self revokes the current token'],
    ['revoke self with mode', ['token', 'revoke', '-self', '-mode=orphan'], '-self and -mode=orphan cannot be used together: -self revokes the current token and its children'],
    ['revoke accessor with mode', ['token', 'revoke', '-accessor', '-mode=path', 'a'], '-accessor and -mode=path cannot be used together: an accessor revokes one token and its children'],
    ['revoke unknown mode', ['token', 'revoke', '-mode=tree', 'a'], 'invalid value "tree" for flag -mode: use -mode=orphan or -mode=path, or leave it out to revoke the token and its children'],
    ['capabilities without path', ['token', 'capabilities'], 'Not enough arguments (expected 1-2, got 0)'],
    ['capabilities with three arguments', ['token', 'capabilities', 'a', 'b', 'c'], 'Too many arguments (expected 1-2, got 3)'],
    ['capabilities accessor without path', ['token', 'capabilities', '-accessor', 'acc'], 'Not enough arguments with -accessor (expected 2, got 1): pass the accessor, then the path'],
  ];
  for (const [name, argv, message] of badInput) {
    test(`${name} exits 1`, async () => {
      const result = await runCli(argv, { env: recorder.env });
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `${message}\n` });
      assert.equal(recorder.requests.length, 0);
    });
  }
});

describe('token renew, revoke and capabilities on a dev server', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
    // Tokens with this policy can read secrets and create child tokens.
    const rules = ['path "secret/*" {', '  capabilities = ["read", "list"]', '}', 'path "auth/token/create" {', '  capabilities = ["update"]', '}'];
    const policy = await runCli(['policy', 'write', 'reader', '-'], { env: server.env, stdin: rules.join('\n') });
    assert.equal(policy.code, 0, policy.stderr);
  });

  after(async () => {
    await server.close();
  });

  /** Creates a token and returns its value and accessor. */
  async function createToken(...flags: string[]): Promise<{ token: string; accessor: string }> {
    const create = await runCli(['token', 'create', '-format=json', ...flags], { env: server.env });
    assert.equal(create.code, 0, create.stderr);
    const auth = JSON.parse(create.stdout).auth;
    return { token: auth.client_token, accessor: auth.accessor };
  }

  test('renew by token, accessor and self', async () => {
    const { token, accessor } = await createToken('-ttl=1h', '-explicit-max-ttl=10h');

    const byToken = await runCli(['token', 'renew', '-increment=2h', '-field=token_duration', token], { env: server.env });
    assert.deepEqual(byToken, { code: 0, stdout: '7200', stderr: '' });

    const byAccessor = await runCli(['token', 'renew', '-accessor', '-format=json', accessor], { env: server.env });
    assert.equal(byAccessor.code, 0, byAccessor.stderr);
    assert.equal(JSON.parse(byAccessor.stdout).auth.accessor, accessor);

    const self = await runCli(['token', 'renew', '-increment=30m'], { env: { ...server.env, COFFER_TOKEN: token } });
    assert.equal(self.code, 0, self.stderr);
    assert.match(self.stdout, /\ntoken_duration       30m\n/);
  });

  test('renew of a token without TTL exits 2', async () => {
    const renew = await runCli(['token', 'renew', testRootToken], { env: server.env });
    assert.equal(renew.code, 2);
    assert.ok(renew.stderr.startsWith(`Error renewing token: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/token/renew\nCode: 400.`), renew.stderr);
  });

  test('capabilities of self and another token', async () => {
    const { token, accessor } = await createToken('-policy=reader');

    const self = await runCli(['token', 'capabilities', 'secret/foo'], { env: { ...server.env, COFFER_TOKEN: token } });
    assert.deepEqual(self, { code: 0, stdout: 'list, read\n', stderr: '' });

    const other = await runCli(['token', 'capabilities', '-format=json', token, 'sys/mounts'], { env: server.env });
    assert.deepEqual(other, { code: 0, stdout: '[\n  "deny"\n]\n', stderr: '' });

    const root = await runCli(['token', 'capabilities', 'secret/foo'], { env: server.env });
    assert.deepEqual(root, { code: 0, stdout: 'root\n', stderr: '' });

    const byAccessor = await runCli(['token', 'capabilities', '-accessor', accessor, 'secret/foo'], { env: server.env });
    assert.deepEqual(byAccessor, { code: 0, stdout: 'list, read\n', stderr: '' });
  });

  test('capabilities of unknown token exits 2', async () => {
    const result = await runCli(['token', 'capabilities', 'not-a-token', 'secret/foo'], { env: server.env });
    assert.deepEqual(result, {
      code: 2,
      stdout: '',
      stderr: `Error listing capabilities: Error making API request.\n\nURL: POST ${server.address}/v1/sys/capabilities\nCode: 400. Errors:\n\n* invalid token\n`,
    });
  });

  test('revoke by token removes children', async () => {
    const parent = await createToken('-policy=reader');
    const child = await runCli(['token', 'create', '-field=token', '-policy=reader'], { env: { ...server.env, COFFER_TOKEN: parent.token } });
    assert.equal(child.code, 0, child.stderr);

    const revoke = await runCli(['token', 'revoke', parent.token], { env: server.env });
    assert.deepEqual(revoke, { code: 0, stdout: 'Success! Revoked token (if it existed)\n', stderr: '' });
    for (const token of [parent.token, child.stdout]) {
      const lookup = await runCli(['token', 'lookup', token], { env: server.env });
      assert.equal(lookup.code, 2, `token still valid after revoke: ${lookup.stdout}`);
    }
  });

  test('revoke orphan mode keeps children', async () => {
    const parent = await createToken('-policy=reader');
    const child = await runCli(['token', 'create', '-field=token', '-policy=reader'], { env: { ...server.env, COFFER_TOKEN: parent.token } });
    assert.equal(child.code, 0, child.stderr);

    const revoke = await runCli(['token', 'revoke', '-mode=orphan', parent.token], { env: server.env });
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal((await runCli(['token', 'lookup', parent.token], { env: server.env })).code, 2);
    const lookup = await runCli(['token', 'lookup', '-format=json', child.stdout], { env: server.env });
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.equal(JSON.parse(lookup.stdout).data.orphan, true);
  });

  test('revoke by accessor and self', async () => {
    const first = await createToken('-policy=reader');
    const byAccessor = await runCli(['token', 'revoke', '-accessor', first.accessor], { env: server.env });
    assert.equal(byAccessor.code, 0, byAccessor.stderr);
    assert.equal((await runCli(['token', 'lookup', first.token], { env: server.env })).code, 2);

    const second = await createToken('-policy=reader');
    const self = await runCli(['token', 'revoke', '-self'], { env: { ...server.env, COFFER_TOKEN: second.token } });
    assert.deepEqual(self, { code: 0, stdout: 'Success! Revoked token (if it existed)\n', stderr: '' });
    assert.equal((await runCli(['token', 'lookup', second.token], { env: server.env })).code, 2);
  });

  test('revoke path mode revokes tokens under a path', async () => {
    const { token } = await createToken('-policy=reader');
    const revoke = await runCli(['token', 'revoke', '-mode=path', 'auth/token/create'], { env: server.env });
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal((await runCli(['token', 'lookup', token], { env: server.env })).code, 2);
    // The root token has no lease under the path, so it survives.
    assert.equal((await runCli(['token', 'lookup'], { env: server.env })).code, 0);
  });

  test('revoke without permission exits 2', async () => {
    const { token } = await createToken('-policy=reader');
    const revoke = await runCli(['token', 'revoke', '-accessor', 'some-accessor'], { env: { ...server.env, COFFER_TOKEN: token } });
    assert.deepEqual(revoke, {
      code: 2,
      stdout: '',
      stderr: `Error revoking token: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/token/revoke-accessor\nCode: 403. Errors:\n\n* permission denied\n`,
    });
  });
});
