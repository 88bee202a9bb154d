import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

/** Returns a promise with its resolve function, standing for a request still being served. */
function pendingRequest(): { promise: Promise<void>; finish: () => void } {
  let finish!: () => void;
  const promise = new Promise<void>((resolve) => (finish = resolve));
  return { promise, finish };
}

describe('seal with requests in flight', () => {
  test('seal waits for requests in flight', async () => {
    const server = await startDevServer(ROOT);
    try {
      const request = pendingRequest();
      const tracked = server.core.trackRequest(request.promise);
      let sealed = false;
      const sealing = server.core.sealServer().then(() => (sealed = true));

      // New requests are rejected at once, while the barrier stays open for the one in flight.
      assert.equal(server.core.sealed, true);
      const rejected = await api(server, 'GET', 'secret/data/x', { token: ROOT });
      assert.equal(rejected.status, 503);
      assert.deepEqual(rejected.body, { errors: ['Vault is sealed'] });
      await sleep(100);
      assert.equal(sealed, false);
      assert.equal(server.core.barrier.sealed, false);

      request.finish();
      await tracked;
      await sealing;
      assert.equal(sealed, true);
      assert.equal(server.core.barrier.sealed, true);
    } finally {
      await server.close();
    }
  });

  test('seal from a request skips itself', async () => {
    const server = await startDevServer(ROOT);
    try {
      const request = pendingRequest();
      const tracked = server.core.trackRequest(request.promise);
      // The one request in flight is the caller, so nothing is left to wait for.
      await server.core.sealServer({ fromRequest: true });
      assert.equal(server.core.barrier.sealed, true);
      request.finish();
      await tracked;
    } finally {
      await server.close();
    }
  });

  test('sys/seal returns without waiting for itself', async () => {
    const server = await startDevServer(ROOT);
    try {
      const started = Date.now();
      const response = await api(server, 'PUT', 'sys/seal', { token: ROOT });
      assert.equal(response.status, 204);
      // The drain timeout is 10 s, so a seal that waited for its own request would take that long.
      assert.ok(Date.now() - started < 5_000, `sys/seal took ${Date.now() - started} ms`);
      assert.equal(server.core.sealed, true);
    } finally {
      await server.close();
    }
  });
});
