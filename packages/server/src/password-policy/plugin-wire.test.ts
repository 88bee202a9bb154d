import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startPluginTestServer, writeScript, type PluginTestServer } from '../plugin/test-support.js';
import { api } from '../testing/api-client.js';

const PLUGIN_PATH = fileURLToPath(new URL('./testdata/password-plugin.js', import.meta.url));

describe('password policies over the plugin wire', () => {
  let server: PluginTestServer;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, body });

  before(async () => {
    server = await startPluginTestServer();
    const sha256 = await writeScript(server.pluginDirectory, 'passwords', `exec '${process.execPath}' '${PLUGIN_PATH}' "$@"`);
    assert.equal((await call('POST', 'sys/plugins/catalog/secret/passwords', { sha256, command: 'passwords' })).status, 204);
    assert.equal((await call('POST', 'sys/mounts/pw', { type: 'passwords' })).status, 204);
  });
  after(async () => {
    await server.close();
  });

  test('plugin generates from a host policy', async () => {
    const policy = 'length = 30\nrule "charset" {\n  charset = "abc123"\n  min-chars = 0\n}\nrule "charset" {\n  charset = "123"\n  min-chars = 5\n}\n';
    assert.equal((await call('PUT', 'sys/policies/password/short', { policy })).status, 204);

    const generated = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const response = await call('PUT', 'pw/password', { policy: 'short' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const password: string = response.body.data.password;
      assert.match(password, /^[abc123]{30}$/);
      assert.ok((password.match(/[123]/g) ?? []).length >= 5, password);
      generated.add(password);
    }
    assert.equal(generated.size, 20);

    // The server logs neither the request's nor the plugin's password.
    const log = JSON.stringify(server.logLines);
    for (const password of generated) assert.equal(log.includes(password), false);
  });

  test('unknown policy is a 400 from the plugin', async () => {
    const response = await call('PUT', 'pw/password', { policy: 'nosuch' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['password policy "nosuch" not found: write it to sys/policies/password/nosuch or name another policy'] });
  });

  test('empty policy name is a 400', async () => {
    const response = await call('PUT', 'pw/password', { policy: '' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['missing password policy name'] });
  });

  test('deleted policy stops generating', async () => {
    const policy = 'length = 8\nrule "charset" {\n  charset = "xy"\n}\n';
    assert.equal((await call('PUT', 'sys/policies/password/gone', { policy })).status, 204);
    assert.match((await call('PUT', 'pw/password', { policy: 'gone' })).body.data.password, /^[xy]{8}$/);
    assert.equal((await call('DELETE', 'sys/policies/password/gone')).status, 204);
    const response = await call('PUT', 'pw/password', { policy: 'gone' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['password policy "gone" not found: write it to sys/policies/password/gone or name another policy'] });
  });
});
