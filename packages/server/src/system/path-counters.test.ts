import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-counters-token';

describe('sys/internal/counters', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  const tokens = async (): Promise<unknown> => (await api(server, 'GET', 'sys/internal/counters/tokens', { token: ROOT })).body.data;
  const entities = async (): Promise<unknown> => (await api(server, 'GET', 'sys/internal/counters/entities', { token: ROOT })).body.data;

  test('counts service tokens', async () => {
    assert.deepEqual(await tokens(), { counters: { service_tokens: { total: 1 } } });

    const service = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    // Batch tokens are not stored, so they are not counted, as in Vault.
    const batch = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { type: 'batch', policies: ['default'] } });
    assert.equal(batch.status, 200);
    assert.deepEqual(await tokens(), { counters: { service_tokens: { total: 3 } } });

    await api(server, 'POST', 'auth/token/revoke', { token: ROOT, body: { token: service.body.auth.client_token } });
    assert.deepEqual(await tokens(), { counters: { service_tokens: { total: 2 } } });
  });

  test('counts entities', async () => {
    assert.deepEqual(await entities(), { counters: { entities: { total: 0 } } });
    for (const name of ['alice', 'bob']) {
      assert.equal((await api(server, 'POST', 'identity/entity', { token: ROOT, body: { name } })).status, 200);
    }
    assert.deepEqual(await entities(), { counters: { entities: { total: 2 } } });
    assert.equal((await api(server, 'DELETE', 'identity/entity/name/bob', { token: ROOT })).status, 204);
    assert.deepEqual(await entities(), { counters: { entities: { total: 1 } } });
  });

  test('needs a policy for the path', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const token = created.body.auth.client_token as string;
    for (const path of ['sys/internal/counters/tokens', 'sys/internal/counters/entities']) {
      assert.equal((await api(server, 'GET', path, { token })).status, 403, path);
    }
  });
});
