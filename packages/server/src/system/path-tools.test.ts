import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';
/** "hello" in base64. */
const HELLO = 'aGVsbG8=';

describe('sys/tools', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('hash defaults to sha2-256 hex', async () => {
    const response = await api(server, 'POST', 'sys/tools/hash', { token: TOKEN, body: { input: HELLO } });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.sum, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  test('hash algorithm in path with slash', async () => {
    const response = await api(server, 'POST', 'sys/tools/hash/sha2-512/256', { token: TOKEN, body: { input: HELLO } });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.sum, 'e30d87cfa2a75db545eac4d61baf970366a8357c7f72fa95b52d0accb698f13a');
  });

  test('hash path algorithm wins over body', async () => {
    const response = await api(server, 'POST', 'sys/tools/hash/sha3-256', { token: TOKEN, body: { input: HELLO, algorithm: 'sha2-256', format: 'base64' } });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.sum, 'Mzi+aU9QxfM4gUmGzfBoZFOoiLhPQk15KvS5ICOY85I=');
  });

  test('hash rejects malformed base64', async () => {
    for (const input of ['aGVsbG8', 'a', 'aGVs bG8=']) {
      const response = await api(server, 'POST', 'sys/tools/hash', { token: TOKEN, body: { input } });
      assert.equal(response.status, 400, input);
      assert.deepEqual(response.body.errors, ['invalid "input": must be base64-encoded with padding'], input);
    }
  });

  test('hash rejects unknown algorithm', async () => {
    const response = await api(server, 'POST', 'sys/tools/hash/md5', { token: TOKEN, body: { input: HELLO } });
    assert.equal(response.status, 400);
    assert.match(response.body.errors[0], /^invalid "algorithm" "md5": must be one of sha2-224, /);
  });

  test('random returns requested bytes', async () => {
    const hex = await api(server, 'POST', 'sys/tools/random/16', { token: TOKEN, body: { format: 'hex' } });
    assert.equal(hex.status, 200);
    assert.match(hex.body.data.random_bytes, /^[0-9a-f]{32}$/);
    const tooMany = await api(server, 'POST', 'sys/tools/random', { token: TOKEN, body: { bytes: 131073 } });
    assert.equal(tooMany.status, 400);
    assert.deepEqual(tooMany.body.errors, ['invalid "bytes" 131073: must be between 1 and 131072']);
  });
});
