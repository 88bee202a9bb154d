import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';

describe('HTTP API conventions', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('dev server reports its root token and unseal key', () => {
    assert.equal(server.dev?.rootToken, TOKEN);
    assert.equal(Buffer.from(server.dev!.unsealKey, 'base64').length, 32);
  });

  test('missing token is denied', async () => {
    const response = await api(server, 'GET', 'secret/data/foo');
    assert.equal(response.status, 403);
    assert.deepEqual(response.body, { errors: ['permission denied'] });
  });

  test('unknown token is denied', async () => {
    const response = await api(server, 'GET', 'secret/data/foo', { token: 'hvs.unknown' });
    assert.equal(response.status, 403);
  });

  test('bearer token is accepted', async () => {
    const response = await api(server, 'GET', 'auth/token/lookup-self', { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.id, TOKEN);
    assert.equal(response.body.data.display_name, 'root');
  });

  test('response envelope has Vault fields', async () => {
    const response = await api(server, 'GET', 'sys/key-status', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.match(response.body.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(response.body.lease_id, '');
    assert.equal(response.body.renewable, false);
    assert.equal(response.body.lease_duration, 0);
    assert.equal(response.body.wrap_info, null);
    assert.equal(response.body.warnings, null);
    assert.equal(response.body.auth, null);
  });

  test('malformed JSON gets 400', async () => {
    const response = await api(server, 'PUT', 'secret/data/foo', { token: TOKEN, body: '{"data": ' });
    assert.equal(response.status, 400);
    assert.match(response.body.errors[0], /^failed to parse JSON input: /);
  });

  test('body over 32 MiB gets 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${server.address}/v1/secret/data/big`);
      const request = httpRequest(url, {
        method: 'PUT',
        headers: { 'X-Vault-Token': TOKEN, 'Content-Length': String(33 * 1024 * 1024) },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    assert.equal(status, 413);
  });

  test('unknown route gets 404 with Vault message', async () => {
    const response = await api(server, 'GET', 'nothing/here', { token: TOKEN });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body.errors, ['no handler for route "nothing/here". route entry not found.']);
  });

  test('unknown path in a mount gets 404', async () => {
    const response = await api(server, 'GET', 'sys/no-such-endpoint', { token: TOKEN });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body.errors, ['unsupported path "no-such-endpoint"']);
  });

  test('known path without the operation gets 405', async () => {
    const response = await api(server, 'DELETE', 'sys/seal-status', { token: TOKEN });
    assert.equal(response.status, 405);
  });

  test('LIST method and list query both list', async () => {
    await api(server, 'PUT', 'secret/data/dir/a', { token: TOKEN, body: { data: { v: 1 } } });
    await api(server, 'PUT', 'secret/data/dir/sub/b', { token: TOKEN, body: { data: { v: 2 } } });
    const listed = await api(server, 'LIST', 'secret/metadata/dir', { token: TOKEN });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.keys, ['a', 'sub/']);
    const queried = await api(server, 'GET', 'secret/metadata/dir/?list=true', { token: TOKEN });
    assert.deepEqual(queried.body.data.keys, ['a', 'sub/']);
  });

  test('list query takes Go boolean spellings', async () => {
    await api(server, 'PUT', 'secret/data/spelled/a', { token: TOKEN, body: { data: { v: 1 } } });
    for (const spelling of ['1', 't', 'TRUE', 'True']) {
      const listed = await api(server, 'GET', `secret/metadata/spelled?list=${spelling}`, { token: TOKEN });
      assert.equal(listed.status, 200, spelling);
      assert.deepEqual(listed.body.data.keys, ['a'], spelling);
    }
    // A false list parameter reads the path instead.
    const read = await api(server, 'GET', 'secret/metadata/spelled/a?list=0', { token: TOKEN });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.current_version, 1);
  });

  test('invalid list query gets 400', async () => {
    const response = await api(server, 'GET', 'secret/metadata/spelled?list=yes', { token: TOKEN });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid query parameter "list" "yes": use true or false']);
  });

  test('unsupported HTTP method gets 405', async () => {
    const response = await api(server, 'OPTIONS', 'sys/health');
    assert.equal(response.status, 405);
  });

  test('health HEAD has status and no body', async () => {
    const response = await fetch(`${server.address}/v1/sys/health`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
  });

  test('health honours activecode', async () => {
    const response = await api(server, 'GET', 'sys/health?activecode=204');
    assert.equal(response.status, 204);
  });

  test('leader reports no HA', async () => {
    const response = await api(server, 'GET', 'sys/leader');
    assert.equal(response.status, 200);
    assert.equal(response.body.ha_enabled, false);
  });

  test('help returns path help', async () => {
    const response = await api(server, 'GET', 'sys/tools/hash?help=1', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.match(response.body.data.help, /^## Hash data\./);
  });
});

describe('sys/tools', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('random returns the requested byte count', async () => {
    const response = await api(server, 'PUT', 'sys/tools/random/16', { token: TOKEN, body: { format: 'hex' } });
    assert.equal(response.status, 200);
    assert.match(response.body.data.random_bytes, /^[0-9a-f]{32}$/);
    const defaulted = await api(server, 'PUT', 'sys/tools/random', { token: TOKEN });
    assert.equal(Buffer.from(defaulted.body.data.random_bytes, 'base64').length, 32);
  });

  test('random rejects a bad format', async () => {
    const response = await api(server, 'PUT', 'sys/tools/random', { token: TOKEN, body: { format: 'oct' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "format" "oct": must be "base64" or "hex"']);
  });

  test('hash matches a known digest', async () => {
    const input = Buffer.from('hello').toString('base64');
    const response = await api(server, 'PUT', 'sys/tools/hash/sha2-256', { token: TOKEN, body: { input } });
    assert.equal(response.body.data.sum, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    const sha3 = await api(server, 'PUT', 'sys/tools/hash', { token: TOKEN, body: { input, algorithm: 'sha3-256', format: 'base64' } });
    assert.equal(sha3.body.data.sum, Buffer.from('3338be694f50c5f338814986cdf0686453a888b84f424d792af4b9202398f392', 'hex').toString('base64'));
  });

  test('hash rejects an unknown algorithm', async () => {
    const response = await api(server, 'PUT', 'sys/tools/hash', { token: TOKEN, body: { input: 'aGk=', algorithm: 'md5' } });
    assert.equal(response.status, 400);
    assert.match(response.body.errors[0], /^invalid "algorithm" "md5": must be one of sha2-224/);
  });

  test('hash rejects object member names', async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const response = await api(server, 'PUT', `sys/tools/hash/${name}`, { token: TOKEN, body: { input: 'aGk=' } });
      assert.equal(response.status, 400, name);
      assert.match(response.body.errors[0], new RegExp(`^invalid "algorithm" "${name}": must be one of sha2-224`), name);
    }
  });

  test('unknown field is rejected by name', async () => {
    const response = await api(server, 'PUT', 'sys/tools/hash', { token: TOKEN, body: { input: 'aGk=', colour: 'red' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['unknown field "colour"']);
  });
});

describe('input the tester broke', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('object member names are unknown fields, not crashes', async () => {
    for (const body of ['{"__proto__": 1}', '{"constructor": "x"}', '{"toString": 1}']) {
      const response = await api(server, 'PUT', 'sys/unseal', { body });
      assert.equal(response.status, 400, body);
    }
    const health = await api(server, 'GET', 'sys/health?constructor=1');
    assert.equal(health.status, 400);
  });

  test('health rejects a status code outside 100 to 599', async () => {
    const response = await api(server, 'GET', 'sys/health?activecode=99');
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "activecode" 99: must be an HTTP status code from 100 to 599']);
  });

  test('deeply nested JSON gets 400 and changes nothing', async () => {
    const body = `{"data": ${'['.repeat(600)}1${']'.repeat(600)}}`;
    const response = await api(server, 'POST', 'secret/data/deep', { token: TOKEN, body });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['failed to parse JSON input: nesting is deeper than the limit of 500 levels']);
    assert.equal((await api(server, 'GET', 'secret/data/deep', { token: TOKEN })).status, 404);
  });

  test('wrap TTL above the max lease TTL is rejected', async () => {
    const response = await api(server, 'GET', 'sys/key-status', { token: TOKEN, headers: { 'X-Vault-Wrap-TTL': '99999999999' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid X-Vault-Wrap-TTL header "99999999999": it exceeds the max lease TTL of 2764800s']);
  });

  test('asynchronous lease revoke can be wrapped', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'], ttl: '1h' } });
    const leaseId = `auth/token/create/${created.body.auth.accessor}`;
    const response = await api(server, 'PUT', 'sys/leases/revoke', { token: TOKEN, body: { lease_id: leaseId, sync: false }, headers: { 'X-Vault-Wrap-TTL': '60' } });
    assert.ok(response.status === 204 || response.status === 202 || response.status === 400, `status ${response.status}`);
    assert.notEqual(response.status, 500);
  });

  test('mount path with a dot segment is rejected', async () => {
    const response = await api(server, 'POST', 'sys/mounts/..%2Fb', { token: TOKEN, body: { type: 'kv' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid mount path "../b": segments must not be empty, "." or ".."']);
  });

  test('duplicate custom token ID gets 400', async () => {
    const response = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { id: TOKEN } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['cannot create a token with a duplicate ID']);
  });
});
