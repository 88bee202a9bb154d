import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-rewrap-test';
const INVALID = 'wrapping token is not valid or does not exist';

/**
 * The order of a rewrap's writes: the new wrapping token is stored before
 * the old one is revoked, so a storage failure in between loses nothing.
 */
describe('rewrap with a storage failure', () => {
  let server: RunningServer;
  let failDeletes = false;
  let failedDeletes = 0;

  before(async () => {
    server = await startDevServer(TOKEN);
    // Every delete fails while failDeletes is set: revoking a token deletes
    // its entry, so this is a storage failure after the new token is stored.
    const barrier = server.core.barrier;
    const remove = barrier.delete.bind(barrier);
    barrier.delete = async (key: string) => {
      if (!failDeletes) return remove(key);
      failedDeletes += 1;
      throw new Error('injected storage failure');
    };
  });
  after(() => server.close());

  async function wrap(data: Record<string, unknown>): Promise<string> {
    const response = await api(server, 'POST', 'sys/wrapping/wrap', { token: TOKEN, body: data, headers: { 'X-Vault-Wrap-TTL': '60' } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.wrap_info.token;
  }

  test('failed revocation keeps the new token', async () => {
    const old = await wrap({ password: 's3cret' });

    failDeletes = true;
    let rewrapped;
    try {
      rewrapped = await api(server, 'POST', 'sys/wrapping/rewrap', { token: TOKEN, body: { token: old } });
    } finally {
      failDeletes = false;
    }

    assert.equal(rewrapped.status, 200, JSON.stringify(rewrapped.body));
    assert.ok(failedDeletes > 0, 'the revocation reached storage and failed');
    const again = await api(server, 'POST', 'sys/wrapping/unwrap', { token: TOKEN, body: { token: old } });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, [INVALID]);
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: TOKEN, body: { token: rewrapped.body.wrap_info.token } });
    assert.equal(unwrapped.status, 200, JSON.stringify(unwrapped.body));
    assert.deepEqual(unwrapped.body.data, { password: 's3cret' });
  });

  test('rewrap with the wrapping token itself', async () => {
    const old = await wrap({ password: 'own' });

    const rewrapped = await api(server, 'POST', 'sys/wrapping/rewrap', { token: old });

    assert.equal(rewrapped.status, 200, JSON.stringify(rewrapped.body));
    const again = await api(server, 'POST', 'sys/wrapping/unwrap', { token: old });
    assert.equal(again.status, 403);
    assert.deepEqual(again.body.errors, ['permission denied']);
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: rewrapped.body.wrap_info.token });
    assert.deepEqual(unwrapped.body.data, { password: 'own' });
  });
});
