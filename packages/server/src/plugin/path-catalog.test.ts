import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinSecretsEngines } from '../plugins.js';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { makeTemporaryDirectory, removeDirectory, startPluginTestServer, writeScript, type PluginTestServer } from './test-support.js';

const SHA_OF_NOTHING = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('sys/plugins/catalog', () => {
  let server: PluginTestServer;
  let sha256: string;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, ...(body !== undefined ? { body } : {}) });

  before(async () => {
    server = await startPluginTestServer();
    sha256 = await writeScript(server.pluginDirectory, 'my-plugin', 'exit 0');
  });
  after(() => server.close());

  test('register, read, list and delete', async () => {
    const registered = await call('POST', 'sys/plugins/catalog/secret/my-plugin', {
      sha256: sha256.toUpperCase(),
      command: 'my-plugin',
      args: ['--mode', 'a,b'],
      env: ['API_KEY=do-not-return'],
    });
    assert.equal(registered.status, 204, JSON.stringify(registered.body));

    const read = await call('GET', 'sys/plugins/catalog/secret/my-plugin');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { name: 'my-plugin', type: 'secret', command: 'my-plugin', args: ['--mode', 'a,b'], sha256, version: '', builtin: false });
    assert.equal(JSON.stringify(read.body).includes('do-not-return'), false, 'env is never returned');

    const expectedNames = [...builtinSecretsEngines.keys(), 'my-plugin'].sort();
    const listed = await call('LIST', 'sys/plugins/catalog/secret');
    assert.deepEqual(listed.body.data.keys, expectedNames);
    const all = await call('GET', 'sys/plugins/catalog');
    assert.deepEqual(all.body.data.secret, expectedNames);
    assert.deepEqual(all.body.data.database, ['mysql-database-plugin', 'postgresql-database-plugin', 'redis-database-plugin']);
    assert.ok(all.body.data.detailed.some((entry: { name: string; builtin: boolean }) => entry.name === 'my-plugin' && !entry.builtin));

    assert.equal((await call('DELETE', 'sys/plugins/catalog/secret/my-plugin')).status, 204);
    assert.equal((await call('GET', 'sys/plugins/catalog/secret/my-plugin')).status, 404);
    assert.equal((await call('DELETE', 'sys/plugins/catalog/secret/my-plugin')).status, 204, 'deleting twice is no error');
  });

  test('versions are kept apart', async () => {
    assert.equal((await call('POST', 'sys/plugins/catalog/auth/multi', { sha256, command: 'my-plugin', version: '1.2.0' })).status, 204);
    assert.equal((await call('POST', 'sys/plugins/catalog/auth/multi', { sha256, command: 'my-plugin', version: 'v1.10.0' })).status, 204);
    const read = await call('GET', 'sys/plugins/catalog/auth/multi?version=v1.2.0');
    assert.equal(read.body.data.version, 'v1.2.0');
    const unversioned = await call('GET', 'sys/plugins/catalog/auth/multi');
    assert.equal(unversioned.status, 404);
    assert.deepEqual(unversioned.body.errors, ['no auth plugin "multi" in the catalog']);
    const all = await call('GET', 'sys/plugins/catalog');
    const versions = all.body.data.detailed.filter((entry: { name: string }) => entry.name === 'multi').map((entry: { version: string }) => entry.version);
    assert.deepEqual(versions, ['v1.2.0', 'v1.10.0']);
  });

  test('invalid registrations change nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ command: 'my-plugin' }, 'missing required field "sha256"'],
      [{ sha256: 'abc', command: 'my-plugin' }, 'invalid "sha256" "abc": expected the 64 hexadecimal digits of the binary\'s SHA-256'],
      [{ sha256 }, 'missing required field "command"'],
      [{ sha256, command: '/bin/sh' }, 'invalid "command" "/bin/sh": give a path relative to the plugin directory, not an absolute path'],
      [{ sha256, command: 'absent' }, `invalid "command" "absent": no such file in the plugin directory "${server.pluginDirectory}"`],
      [{ sha256, command: 'my-plugin', version: 'latest' }, 'invalid "version" "latest": expected a semantic version such as "v1.2.0"'],
      [{ sha256, command: 'my-plugin', env: ['NOVALUE'] }, 'invalid "env" entry "NOVALUE": expected "NAME=value" with a name of letters, digits and "_"'],
      [{ sha256, command: 'my-plugin', env: ['PLUGIN_CLIENT_CERT=x'] }, 'invalid "env" entry "PLUGIN_CLIENT_CERT": the server sets this variable for every plugin; remove it'],
    ];
    for (const [body, message] of cases) {
      const response = await call('POST', 'sys/plugins/catalog/secret/bad', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)} was accepted`);
      assert.deepEqual(response.body.errors, [message]);
    }
    assert.equal((await call('GET', 'sys/plugins/catalog/secret/bad')).status, 404, 'nothing was stored');
  });

  test('command outside the directory is rejected', async () => {
    const outside = await makeTemporaryDirectory('coffer-catalog-outside-');
    try {
      const sha = await writeScript(outside, 'escape', 'exit 0');
      const relative = `../${basename(outside)}/escape`;
      const response = await call('POST', 'sys/plugins/catalog/secret/escape', { sha256: sha, command: relative });
      assert.equal(response.status, 400);
      assert.match(response.body.errors[0], /^invalid "command" "\.\.\/.*\/escape": it resolves to ".*", outside the plugin directory ".*"$/);
    } finally {
      await removeDirectory(outside);
    }
  });

  test('unknown types are rejected', async () => {
    const unknown = await call('LIST', 'sys/plugins/catalog/widgets');
    assert.deepEqual(unknown.body.errors, ['invalid plugin type "widgets": use "audit", "auth", "database" or "secret"']);
  });

  test('built-in plugins are listed, not deletable', async () => {
    const read = await call('GET', 'sys/plugins/catalog/secret/kv');
    assert.equal(read.body.data.builtin, true);
    const deleted = await call('DELETE', 'sys/plugins/catalog/secret/kv');
    assert.equal(deleted.status, 400);
    assert.deepEqual(deleted.body.errors, ['cannot delete "kv": it is a built-in secret plugin']);
  });

  test('reload checks its arguments', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'invalid reload request: set exactly one of "plugin" or "mounts"'],
      [{ plugin: 'kv', mounts: ['secret'] }, 'invalid reload request: set exactly one of "plugin" or "mounts"'],
      [{ plugin: 'kv', scope: 'global' }, 'invalid "scope" "global": Coffer reloads plugins on this server only; leave "scope" empty'],
      [{ mounts: ['nowhere'] }, 'invalid "mounts" entry "nowhere": no secrets engine or auth method is mounted there'],
    ];
    for (const [body, message] of cases) {
      const response = await call('POST', 'sys/plugins/reload/backend', body);
      assert.equal(response.status, 400);
      assert.deepEqual(response.body.errors, [message]);
    }
    const unused = await call('POST', 'sys/plugins/reload/backend', { plugin: 'unused' });
    assert.equal(unused.status, 200);
    assert.deepEqual(unused.body.warnings, ['no mount uses plugin "unused"']);
  });

  test('catalog needs a token', async () => {
    assert.equal((await api(server, 'GET', 'sys/plugins/catalog')).status, 403);
  });
});

describe('catalog without plugin directory', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer('root-no-plugin-dir');
  });
  after(() => server.close());

  test('registration is refused', async () => {
    const response = await api(server, 'POST', 'sys/plugins/catalog/secret/x', {
      token: 'root-no-plugin-dir',
      body: { sha256: SHA_OF_NOTHING, command: 'x' },
    });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['cannot register plugin "x": no plugin directory is configured; set "plugin_directory" in the server configuration']);
  });
});
