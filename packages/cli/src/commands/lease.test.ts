import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { envelope, startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

const leaseId = 'database/creds/readonly/27e1b9a1';

describe('lease requests', () => {
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

  /** Method, path and body of the only request a run sent. */
  function onlyRequest(): { method: string; path: string; body: unknown } {
    assert.equal(recorder.requests.length, 1);
    const { method, path, body } = recorder.requests[0];
    return { method, path, body };
  }

  test('lookup prints lease properties', async () => {
    const data = { id: leaseId, issue_time: '2024-05-01T10:00:00Z', expire_time: '2024-05-01T11:00:00Z', last_renewal: null, renewable: true, ttl: 3599 };
    recorder.respondWith(() => ({ body: envelope({ data }) }));
    const result = await runCli(['lease', 'lookup', leaseId], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stderr: '',
      stdout: [
        'Key             Value',
        '---             -----',
        'expire_time     2024-05-01T11:00:00Z',
        `id              ${leaseId}`,
        'issue_time      2024-05-01T10:00:00Z',
        'last_renewal    <nil>',
        'renewable       true',
        'ttl             59m59s',
        '',
      ].join('\n'),
    });
    assert.deepEqual(onlyRequest(), { method: 'PUT', path: '/v1/sys/leases/lookup', body: { lease_id: leaseId } });
  });

  test('renew prints the new lease', async () => {
    recorder.respondWith(() => ({ body: envelope({ lease_id: leaseId, lease_duration: 300, renewable: true }) }));
    const result = await runCli(['lease', 'renew', '-increment=5m', leaseId], { env: recorder.env });
    assert.deepEqual(result, {
      code: 0,
      stderr: '',
      stdout: ['Key                Value', '---                -----', `lease_id           ${leaseId}`, 'lease_duration     5m', 'lease_renewable    true', ''].join('\n'),
    });
    assert.deepEqual(onlyRequest(), { method: 'PUT', path: '/v1/sys/leases/renew', body: { lease_id: leaseId, increment: 300 } });
  });

  test('renew field and json', async () => {
    recorder.respondWith(() => ({ body: envelope({ lease_id: leaseId, lease_duration: 300, renewable: true }) }));
    const field = await runCli(['lease', 'renew', '-field=lease_duration', leaseId], { env: recorder.env });
    assert.deepEqual(field, { code: 0, stdout: '300', stderr: '' });
    const json = await runCli(['lease', 'renew', '-format=json', leaseId], { env: recorder.env });
    assert.equal(JSON.parse(json.stdout).lease_id, leaseId);
    assert.deepEqual(recorder.requests[1].body, { lease_id: leaseId });
  });

  const revokes: [string, string[], { method: string; path: string; body: unknown }, string][] = [
    ['queued', [], { method: 'PUT', path: '/v1/sys/leases/revoke', body: { lease_id: leaseId, sync: false } }, 'All revocation operations queued successfully!'],
    ['sync', ['-sync'], { method: 'PUT', path: '/v1/sys/leases/revoke', body: { lease_id: leaseId, sync: true } }, `Success! Revoked lease: ${leaseId}`],
    ['prefix', ['-prefix'], { method: 'PUT', path: `/v1/sys/leases/revoke-prefix/${leaseId}`, body: { sync: false } }, 'All revocation operations queued successfully!'],
    [
      'sync prefix',
      ['-sync', '-prefix'],
      { method: 'PUT', path: `/v1/sys/leases/revoke-prefix/${leaseId}`, body: { sync: true } },
      `Success! Revoked any leases with prefix: ${leaseId}`,
    ],
    ['force', ['-f', '-prefix'], { method: 'PUT', path: `/v1/sys/leases/revoke-force/${leaseId}`, body: {} }, `Success! Force revoked any leases with prefix: ${leaseId}`],
  ];
  for (const [name, flags, request, message] of revokes) {
    test(`revoke ${name}`, async () => {
      const result = await runCli(['lease', 'revoke', ...flags, leaseId], { env: recorder.env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${message}\n`);
      assert.deepEqual(onlyRequest(), request);
    });
  }

  test('force revoke warns', async () => {
    const result = await runCli(['lease', 'revoke', '-force', '-prefix', leaseId], { env: recorder.env });
    assert.equal(result.stderr, 'Warning! Force-removing leases can cause Coffer to become out of sync with\nsecret engines!\n');
  });

  test('server error exits 2', async () => {
    recorder.respondWith(() => ({ status: 400, body: { errors: ['invalid lease'] } }));
    const result = await runCli(['lease', 'lookup', 'nope'], { env: recorder.env });
    assert.deepEqual(result, {
      code: 2,
      stdout: '',
      stderr: `Error looking up lease nope: Error making API request.\n\nURL: PUT ${recorder.address}/v1/sys/leases/lookup\nCode: 400. Errors:\n\n* invalid lease\n`,
    });
  });

  const badInput: [string, string[], string][] = [
    ['lookup without id', ['lease', 'lookup'], 'Not enough arguments (expected 1, got 0)'],
    ['renew with two ids', ['lease', 'renew', 'a', 'b'], 'Too many arguments (expected 1, got 2)'],
    ['renew negative increment', ['lease', 'renew', '-increment=-10s', 'a'], 'invalid value "-10s" for flag -increment: the duration is negative; use a positive duration such as 1h'],
    ['revoke force without prefix', ['lease', 'revoke', '-force', 'a'], '-force requires -prefix: add -prefix, so that ID is taken as a prefix'],
    ['revoke without id', ['lease', 'revoke'], 'Not enough arguments (expected 1, got 0)'],
  ];
  for (const [name, argv, message] of badInput) {
    test(`${name} exits 1`, async () => {
      const result = await runCli(argv, { env: recorder.env });
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `${message}\n` });
      assert.equal(recorder.requests.length, 0);
    });
  }
});

// The dev server has no secrets engine that issues leases, so these tests use
// the leases of tokens, whose IDs start with auth/token/create/.
describe('lease commands on a dev server', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  /** Returns the IDs of the token leases the server holds. */
  async function tokenLeaseIds(): Promise<string[]> {
    const list = await runCli(['list', '-format=json', 'sys/leases/lookup/auth/token/create/'], { env: server.env });
    // An empty listing is a 404, which the list command reports with exit code 2.
    if (list.code === 2) return [];
    assert.equal(list.code, 0, list.stderr);
    return (JSON.parse(list.stdout) as string[]).map((id) => `auth/token/create/${id}`);
  }

  /** Creates a token with a TTL and returns it with the ID of its lease. */
  async function tokenLeaseId(): Promise<{ token: string; leaseId: string }> {
    const before = new Set(await tokenLeaseIds());
    const token = await runCli(['token', 'create', '-field=token', '-ttl=1h', '-policy=default'], { env: server.env });
    assert.equal(token.code, 0, token.stderr);
    const added = (await tokenLeaseIds()).filter((id) => !before.has(id));
    assert.equal(added.length, 1, `expected one new lease, found ${added.length}`);
    return { token: token.stdout, leaseId: added[0] };
  }

  test('lookup table and json', async () => {
    const { leaseId: id } = await tokenLeaseId();
    const table = await runCli(['lease', 'lookup', id], { env: server.env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^Key +Value\n-{3} +-{5}\nexpire_time +\\S+\nid +${id}\nissue_time +\\S+\nlast_renewal +<nil>\nrenewable +true\nttl +(59m\\d+s|1h)\n$`));

    const json = await runCli(['lease', 'lookup', '-format=json', id], { env: server.env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).data.id, id);
  });

  test('lookup of unknown lease exits 2', async () => {
    const lookup = await runCli(['lease', 'lookup', 'auth/token/create/unknown'], { env: server.env });
    assert.deepEqual(lookup, {
      code: 2,
      stdout: '',
      stderr: `Error looking up lease auth/token/create/unknown: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/leases/lookup\nCode: 400. Errors:\n\n* invalid lease\n`,
    });
  });

  test('renew of token lease exits 2', async () => {
    const { leaseId: id } = await tokenLeaseId();
    const renew = await runCli(['lease', 'renew', id], { env: server.env });
    assert.deepEqual(renew, {
      code: 2,
      stdout: '',
      stderr: `Error renewing ${id}: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/leases/renew\nCode: 400. Errors:\n\n* tokens cannot be renewed through this endpoint\n`,
    });
  });

  test('revoke sync revokes the token', async () => {
    const { token, leaseId: id } = await tokenLeaseId();
    const revoke = await runCli(['lease', 'revoke', '-sync', id], { env: server.env });
    assert.deepEqual(revoke, { code: 0, stdout: `Success! Revoked lease: ${id}\n`, stderr: '' });
    assert.equal((await runCli(['token', 'lookup', token], { env: server.env })).code, 2);
  });

  test('revoke prefix sync revokes every token', async () => {
    const first = await tokenLeaseId();
    const second = await tokenLeaseId();
    const revoke = await runCli(['lease', 'revoke', '-prefix', '-sync', 'auth/token/create'], { env: server.env });
    assert.deepEqual(revoke, { code: 0, stdout: 'Success! Revoked any leases with prefix: auth/token/create\n', stderr: '' });
    for (const { token } of [first, second]) assert.equal((await runCli(['token', 'lookup', token], { env: server.env })).code, 2);
  });

  test('revoke force prefix', async () => {
    const { token } = await tokenLeaseId();
    const revoke = await runCli(['lease', 'revoke', '-force', '-prefix', 'auth/token/create'], { env: server.env });
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(revoke.stdout, 'Success! Force revoked any leases with prefix: auth/token/create\n');
    assert.equal((await runCli(['token', 'lookup', token], { env: server.env })).code, 2);
  });

  test('revoke queued returns at once', async () => {
    const { leaseId: id } = await tokenLeaseId();
    const revoke = await runCli(['lease', 'revoke', id], { env: server.env });
    assert.deepEqual(revoke, { code: 0, stdout: 'All revocation operations queued successfully!\n', stderr: '' });
  });

  test('revoke without permission exits 2', async () => {
    const token = await runCli(['token', 'create', '-field=token', '-policy=default'], { env: server.env });
    const revoke = await runCli(['lease', 'revoke', '-prefix', 'auth/'], { env: { ...server.env, COFFER_TOKEN: token.stdout } });
    assert.deepEqual(revoke, {
      code: 2,
      stdout: '',
      stderr: `Error revoking leases with prefix auth/: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/leases/revoke-prefix/auth/\nCode: 403. Errors:\n\n* permission denied\n`,
    });
  });
});
