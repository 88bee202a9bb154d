import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startConfiguredServer } from '../testing/api-client.js';

type TestServer = Awaited<ReturnType<typeof startConfiguredServer>>;

/**
 * Mount table changes on SQLite, where each table write waits for a real
 * transaction, so concurrent requests overlap inside the mount manager.
 */
describe('sys/mounts concurrency', () => {
  let server: TestServer;
  let root: string;
  let unsealKey: string;
  before(async () => {
    server = await startConfiguredServer('storage "sqlite" {\n  path = "$DIR/coffer.db"\n}');
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    root = init.body.root_token;
    unsealKey = init.body.keys_base64[0];
    await api(server, 'PUT', 'sys/unseal', { body: { key: unsealKey } });
  });
  after(() => server.close());

  /** Seals and unseals the server, so the mount table is read back from storage. */
  async function reload(): Promise<Record<string, { description: string }>> {
    await api(server, 'PUT', 'sys/seal', { token: root });
    await api(server, 'PUT', 'sys/unseal', { body: { key: unsealKey } });
    return (await api(server, 'GET', 'sys/mounts', { token: root })).body.data;
  }

  test('concurrent enables all persist', async () => {
    const paths = Array.from({ length: 8 }, (_, index) => `many-${index}`);

    const enabled = await Promise.all(paths.map((path) => api(server, 'POST', `sys/mounts/${path}`, { token: root, body: { type: 'kv' } })));

    assert.deepEqual(enabled.map((response) => response.status), paths.map(() => 204));
    const mounts = await reload();
    for (const path of paths) assert.equal(mounts[`${path}/`]?.description, '', path);
  });

  test('concurrent enables at one path', async () => {
    const enabled = await Promise.all(Array.from({ length: 5 }, () => api(server, 'POST', 'sys/mounts/contended', { token: root, body: { type: 'kv' } })));

    assert.deepEqual(enabled.map((response) => response.status).sort(), [204, 400, 400, 400, 400]);
    for (const response of enabled.filter((each) => each.status === 400)) {
      assert.deepEqual(response.body.errors, ['path is already in use at contended/']);
    }
  });

  test('concurrent tunes all persist', async () => {
    const paths = Array.from({ length: 5 }, (_, index) => `tuned-${index}`);
    for (const path of paths) await api(server, 'POST', `sys/mounts/${path}`, { token: root, body: { type: 'kv' } });

    const tuned = await Promise.all(paths.map((path) => api(server, 'POST', `sys/mounts/${path}/tune`, { token: root, body: { description: `about ${path}` } })));

    assert.deepEqual(tuned.map((response) => response.status), paths.map(() => 204));
    const mounts = await reload();
    for (const path of paths) assert.equal(mounts[`${path}/`]?.description, `about ${path}`, path);
  });
});
