import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startConfiguredServer } from '../testing/api-client.js';

type TestServer = Awaited<ReturnType<typeof startConfiguredServer>>;

const INVALID = 'wrapping token is not valid or does not exist';
const ATTEMPTS = 10;

/**
 * Concurrent use of one wrapping token on SQLite, where each storage call
 * waits for a real transaction, so the requests overlap.
 */
describe('response wrapping concurrency', () => {
  let server: TestServer;
  let root: string;
  before(async () => {
    server = await startConfiguredServer('storage "sqlite" {\n  path = "$DIR/coffer.db"\n}');
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    root = init.body.root_token;
    await api(server, 'PUT', 'sys/unseal', { body: { key: init.body.keys_base64[0] } });
  });
  after(() => server.close());

  async function wrappedToken(): Promise<string> {
    const response = await api(server, 'POST', 'sys/wrapping/wrap', { token: root, body: { password: 's3cret' }, headers: { 'X-Vault-Wrap-TTL': '60' } });
    return response.body.wrap_info.token;
  }

  test('body token unwraps once', async () => {
    const token = await wrappedToken();

    const responses = await Promise.all(Array.from({ length: ATTEMPTS }, () => api(server, 'POST', 'sys/wrapping/unwrap', { token: root, body: { token } })));

    const unwrapped = responses.filter((response) => response.status === 200);
    assert.equal(unwrapped.length, 1);
    assert.deepEqual(unwrapped[0].body.data, { password: 's3cret' });
    for (const response of responses.filter((each) => each.status !== 200)) {
      assert.equal(response.status, 400);
      assert.deepEqual(response.body.errors, [INVALID]);
    }
  });

  test('body token rewraps once', async () => {
    const token = await wrappedToken();

    const responses = await Promise.all(Array.from({ length: ATTEMPTS }, () => api(server, 'POST', 'sys/wrapping/rewrap', { token: root, body: { token } })));

    const rewrapped = responses.filter((response) => response.status === 200);
    assert.equal(rewrapped.length, 1);
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: root, body: { token: rewrapped[0].body.wrap_info.token } });
    assert.deepEqual(unwrapped.body.data, { password: 's3cret' });
  });

  test('lookup does not spend the token', async () => {
    const token = await wrappedToken();

    const lookup = await api(server, 'POST', 'sys/wrapping/lookup', { body: { token } });
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: root, body: { token } });

    assert.equal(lookup.status, 200);
    assert.equal(unwrapped.status, 200);
  });
});
