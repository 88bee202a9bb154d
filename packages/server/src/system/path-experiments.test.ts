import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-experiments-token';

describe('sys/experiments', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  test('lists no experiments', async () => {
    const response = await api(server, 'GET', 'sys/experiments', { token: ROOT });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { enabled: [], available: [] });
  });

  test('needs a token', async () => {
    assert.equal((await api(server, 'GET', 'sys/experiments')).status, 403);
  });
});
