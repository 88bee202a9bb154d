import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';
const INVALID = 'wrapping token is not valid or does not exist';

describe('response wrapping', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  async function wrap(data: Record<string, unknown>, ttl = '60'): Promise<Record<string, any>> {
    const response = await api(server, 'POST', 'sys/wrapping/wrap', { token: TOKEN, body: data, headers: { 'X-Vault-Wrap-TTL': ttl } });
    assert.equal(response.status, 200);
    return response.body.wrap_info;
  }

  test('unwrap works once', async () => {
    const info = await wrap({ password: 's3cret' });

    const first = await api(server, 'POST', 'sys/wrapping/unwrap', { token: info.token });
    const second = await api(server, 'POST', 'sys/wrapping/unwrap', { token: TOKEN, body: { token: info.token } });

    assert.equal(first.status, 200);
    assert.deepEqual(first.body.data, { password: 's3cret' });
    assert.equal(second.status, 400);
    assert.deepEqual(second.body.errors, [INVALID]);
  });

  test('another token can unwrap', async () => {
    const info = await wrap({ a: '1' });

    const response = await api(server, 'POST', 'sys/wrapping/unwrap', { token: TOKEN, body: { token: info.token } });

    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { a: '1' });
  });

  test('wrapping token reaches nothing else', async () => {
    const info = await wrap({ a: '1' });

    const read = await api(server, 'GET', 'cubbyhole/response', { token: info.token });
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: info.token });

    assert.equal(read.status, 403);
    assert.deepEqual(read.body.errors, ['permission denied']);
    assert.equal(unwrapped.status, 200);
  });

  test('lookup returns wrap creation time', async () => {
    const info = await wrap({ a: '1' });

    const response = await api(server, 'POST', 'sys/wrapping/lookup', { body: { token: info.token } });

    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { creation_path: 'sys/wrapping/wrap', creation_time: info.creation_time, creation_ttl: 60 });
  });

  test('rewrap keeps creation path and TTL', async () => {
    const info = await wrap({ a: '1' }, '90');

    const response = await api(server, 'POST', 'sys/wrapping/rewrap', { token: TOKEN, body: { token: info.token } });
    const old = await api(server, 'POST', 'sys/wrapping/unwrap', { token: TOKEN, body: { token: info.token } });
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: response.body.wrap_info.token });

    assert.equal(response.status, 200);
    assert.equal(response.body.mount_type, 'system');
    assert.equal(response.body.wrap_info.creation_path, 'sys/wrapping/wrap');
    assert.equal(response.body.wrap_info.ttl, 90);
    assert.notEqual(response.body.wrap_info.token, info.token);
    assert.equal(old.status, 400);
    assert.deepEqual(unwrapped.body.data, { a: '1' });
  });

  test('expired wrapping token is invalid', async () => {
    const info = await wrap({ a: '1' }, '1');
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const response = await api(server, 'POST', 'sys/wrapping/unwrap', { token: TOKEN, body: { token: info.token } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, [INVALID]);
  });

  test('deleted KV version read is not wrapped', async () => {
    await api(server, 'POST', 'secret/data/wrapped-deleted', { token: TOKEN, body: { data: { a: '1' } } });
    await api(server, 'DELETE', 'secret/data/wrapped-deleted', { token: TOKEN });

    const response = await api(server, 'GET', 'secret/data/wrapped-deleted', { token: TOKEN, headers: { 'X-Vault-Wrap-TTL': '60' } });

    assert.equal(response.status, 404);
    assert.equal(response.body.wrap_info, null);
    assert.equal(response.body.data.data, null);
    assert.equal(response.body.data.metadata.version, 1);
  });
});
