import assert from 'node:assert/strict';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, type ApiResponse } from '../testing/api-client.js';
import { processExists, startPluginTestServer, TEST_PLUGINS, waitForExit, writeScript, type PluginTestServer } from './test-support.js';

const ITERATIONS = 2;
/** How long a racing request gets to finish while the reload is held, in milliseconds. */
const RACE_WINDOW_MS = 300;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function waitFor(path: string): Promise<void> {
  const deadline = Date.now() + 4000;
  while (!(await exists(path))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A plugin reload racing a tune or a disable of the same mount. The plugin's
 * launcher waits while a gate file exists, so the test pauses the reload
 * between starting its new backend and switching the route, sends the other
 * change into that window, and only then lets the reload finish.
 */
describe('plugin reload racing table changes', () => {
  let server: PluginTestServer;
  let gate: string;
  let waiting: string;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, body });

  /** Runs `change` while a reload of the mount at `path` is held, and returns both responses. */
  async function race(path: string, change: () => Promise<ApiResponse>): Promise<{ reloaded: ApiResponse; changed: ApiResponse }> {
    await writeFile(gate, '');
    const reloading = call('POST', 'sys/plugins/reload/backend', { mounts: [path] });
    await waitFor(waiting);
    const changing = change();
    // With the table lock the change waits for the reload, so the window ends without it.
    await Promise.race([changing, new Promise((resolve) => setTimeout(resolve, RACE_WINDOW_MS))]);
    await rm(gate);
    await rm(waiting);
    return { reloaded: await reloading, changed: await changing };
  }

  before(async () => {
    server = await startPluginTestServer();
    gate = join(server.pluginDirectory, 'gate');
    waiting = join(server.pluginDirectory, 'waiting');
    const launcher = `if [ -e '${gate}' ]; then : > '${waiting}'; while [ -e '${gate}' ]; do sleep 0.02; done; fi\nexec '${process.execPath}' '${TEST_PLUGINS.secrets}' "$@"`;
    const sha256 = await writeScript(server.pluginDirectory, 'racer', launcher);
    // Two names, so that the two tests' mounts never share a process.
    for (const name of ['racer', 'vanisher']) {
      assert.equal((await call('POST', `sys/plugins/catalog/secret/${name}`, { sha256, command: 'racer' })).status, 204);
    }
  });
  after(async () => {
    await server.close();
  });

  test('reload and tune leave one live backend', async () => {
    assert.equal((await call('POST', 'sys/mounts/raced', { type: 'racer' })).status, 204);
    assert.equal((await call('PUT', 'raced/notes/kept', { text: 'kept' })).status, 204);

    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      const { reloaded, changed } = await race('raced', () => call('POST', 'sys/mounts/raced/tune', { description: `round ${iteration}` }));

      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
      const mount = await call('GET', 'sys/mounts/raced');
      assert.equal(mount.body.data.description, `round ${iteration}`);
      // The route must lead to a running backend, not to one the reload stopped.
      const info = await call('GET', 'raced/info');
      assert.equal(info.status, 200, `iteration ${iteration}: ${JSON.stringify(info.body)}`);
      assert.equal(processExists(info.body.data.pid as number), true);
      assert.deepEqual(server.core.plugins.supervisor.pids('racer'), [info.body.data.pid]);
      const read = await call('GET', 'raced/notes/kept');
      assert.equal(read.status, 200, `iteration ${iteration}: ${JSON.stringify(read.body)}`);
      assert.deepEqual(read.body.data, { text: 'kept' });
    }
  });

  test('reload and disable leave nothing behind', async () => {
    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      assert.equal((await call('POST', 'sys/mounts/gone', { type: 'vanisher' })).status, 204);
      assert.equal((await call('PUT', 'gone/notes/kept', { text: 'kept' })).status, 204);
      const uuid = (await call('GET', 'sys/mounts/gone')).body.data.uuid as string;
      const pid = (await call('GET', 'gone/info')).body.data.pid as number;

      const { reloaded, changed } = await race('gone', () => call('DELETE', 'sys/mounts/gone'));

      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
      assert.equal((await call('GET', 'sys/mounts/gone')).status, 400);
      assert.deepEqual(await server.core.barrier.list(`logical/${uuid}/`), []);
      assert.equal(await waitForExit(pid), true);
      assert.deepEqual(server.core.plugins.supervisor.pids('vanisher'), []);
    }
  });
});
