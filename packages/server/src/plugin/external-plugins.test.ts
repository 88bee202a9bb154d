import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api } from '../testing/api-client.js';
import {
  makeTemporaryDirectory,
  registerNodePlugin,
  removeDirectory,
  startPluginTestServer,
  waitForExit,
  writeNodePlugin,
  type PluginTestServer,
} from './test-support.js';

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

describe('external secrets and auth plugins', () => {
  let server: PluginTestServer;
  let scratch: string;
  const get = (path: string) => api(server, 'GET', path, { token: server.token });
  const pidOf = async (mount: string): Promise<number> => (await get(`${mount}/info`)).body.data.pid as number;

  before(async () => {
    server = await startPluginTestServer();
    scratch = await makeTemporaryDirectory('coffer-plugin-scratch-');
    await registerNodePlugin(server, 'secret', 'notes', 'secrets');
  });
  after(async () => {
    await server.close();
    await removeDirectory(scratch);
  });

  test('secrets plugin serves its paths', async () => {
    const mounted = await api(server, 'POST', 'sys/mounts/notes', { token: server.token, body: { type: 'notes', options: { color: 'blue' } } });
    assert.equal(mounted.status, 204, JSON.stringify(mounted.body));

    assert.equal((await api(server, 'PUT', 'notes/notes/first', { token: server.token, body: { text: 'hello' } })).status, 204);
    const read = await get('notes/notes/first');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { text: 'hello' });
    assert.equal(read.body.mount_type, 'notes');

    const listed = await api(server, 'LIST', 'notes/notes', { token: server.token });
    assert.deepEqual(listed.body.data.keys, ['first']);

    const info = await get('notes/info');
    assert.equal(info.body.data.mount_point, 'notes/');
    assert.deepEqual(info.body.data.options, { color: 'blue' });
    assert.equal(info.body.data.default_lease_ttl, 768 * 3600);
    assert.equal(info.body.data.has_token, true, 'the plugin sees a salted token');

    const mounts = await get('sys/mounts');
    assert.equal(mounts.body.data['notes/'].type, 'notes');
  });

  test('tuned headers reach the plugin', async () => {
    const headers = { 'X-Request-Source': 'ci', 'X-Other': 'kept out', 'X-Vault-Token': server.token };
    const before = await api(server, 'GET', 'notes/info', { token: server.token, headers });
    assert.deepEqual(before.body.data.headers, {});

    const tuned = await api(server, 'POST', 'sys/mounts/notes/tune', {
      token: server.token,
      body: { passthrough_request_headers: ['X-Request-Source', 'x-vault-token'] },
    });
    assert.equal(tuned.status, 204, JSON.stringify(tuned.body));
    const after = await api(server, 'GET', 'notes/info', { token: server.token, headers });
    // The token header never reaches a backend, even when listed.
    assert.deepEqual(after.body.data.headers, { 'x-request-source': 'ci' });

    await api(server, 'POST', 'sys/mounts/notes/tune', { token: server.token, body: { passthrough_request_headers: [] } });
  });

  test('plugin errors keep their status', async () => {
    const missing = await get('notes/notes/absent');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body.errors, ['no note "absent"']);

    const unknownField = await api(server, 'PUT', 'notes/notes/x', { token: server.token, body: { colour: 'red' } });
    assert.equal(unknownField.status, 400);
    assert.deepEqual(unknownField.body.errors, ['unknown field "colour"']);

    const broken = await get('notes/broken');
    assert.equal(broken.status, 500);
    assert.deepEqual(broken.body.errors, ['internal error']);
  });

  test('mounts share one process', async () => {
    assert.equal((await api(server, 'POST', 'sys/mounts/notes2', { token: server.token, body: { type: 'notes' } })).status, 204);
    assert.equal(await pidOf('notes2'), await pidOf('notes'));
    assert.equal(server.core.plugins.supervisor.pids('notes').length, 1);

    // Each mount has its own storage.
    assert.equal((await get('notes2/notes/first')).status, 404);
    assert.equal((await api(server, 'PUT', 'notes2/notes/second', { token: server.token, body: { text: 'two' } })).status, 204);
    assert.deepEqual((await api(server, 'LIST', 'notes/notes', { token: server.token })).body.data.keys, ['first']);
  });

  test('plugin output is logged', async () => {
    await get('notes/info');
    const line = server.logLines.find((entry) => entry.msg === 'plugin output' && String(entry.line).includes('info requested'));
    assert.ok(line !== undefined, 'the plugin log line reached the server log');
    assert.equal(line.level, 'info');
    assert.equal(line.plugin, 'notes');
    assert.equal(line.stream, 'stderr');
    assert.ok((line.mounts as string[]).includes('notes/'));
  });

  test('auth plugin logs users in', async () => {
    await registerNodePlugin(server, 'auth', 'passwords', 'auth');
    assert.equal((await api(server, 'POST', 'sys/auth/pw', { token: server.token, body: { type: 'passwords' } })).status, 204);
    const created = await api(server, 'PUT', 'auth/pw/users/alice', { token: server.token, body: { password: 's3cret', policies: 'reader' } });
    assert.equal(created.status, 204);

    const login = await api(server, 'PUT', 'auth/pw/login', { body: { username: 'alice', password: 's3cret' } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(login.body.auth.policies, ['default', 'reader']);
    assert.deepEqual(login.body.auth.metadata, { username: 'alice' });
    assert.equal(login.body.auth.lease_duration, 3600);

    const self = await api(server, 'GET', 'auth/token/lookup-self', { token: login.body.auth.client_token });
    assert.equal(self.status, 200);
    assert.equal(self.body.data.path, 'auth/pw/login');

    // Renewal goes to the plugin, whose TTL and max TTL apply.
    const renewed = await api(server, 'PUT', 'auth/token/renew-self', { token: login.body.auth.client_token, body: {} });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.auth.lease_duration, 1800);
    const capped = await api(server, 'PUT', 'auth/token/renew-self', { token: login.body.auth.client_token, body: { increment: '5h' } });
    assert.equal(capped.status, 200);
    assert.ok(capped.body.auth.lease_duration <= 7200, String(capped.body.auth.lease_duration));
    assert.ok(capped.body.auth.lease_duration >= 7190, String(capped.body.auth.lease_duration));

    const refused = await api(server, 'PUT', 'auth/pw/login', { body: { username: 'alice', password: 'wrong' } });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.errors, ['invalid username or password']);

    const unauthenticated = await api(server, 'PUT', 'auth/pw/users/bob', { body: { password: 'x' } });
    assert.equal(unauthenticated.status, 403, 'only the login path is unauthenticated');
  });

  test('crash fails in-flight request, then restarts', async () => {
    const before = await pidOf('notes');
    const inFlight = api(server, 'GET', 'notes/slow?ms=10000', { token: server.token });
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(before, 'SIGKILL');

    const failed = await inFlight;
    assert.equal(failed.status, 500);
    assert.match(failed.body.errors[0], /^plugin "notes" \(mount "notes\/"\) stopped while handling the request \(.*\); it restarts on the next request, so retry the request$/);

    const read = await get('notes/notes/first');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.data, { text: 'hello' });
    assert.deepEqual((await get('notes2/notes/second')).body.data, { text: 'two' }, 'every mount is set up again');
    const after = await pidOf('notes');
    assert.notEqual(after, before);
    assert.equal(await waitForExit(before), true);
  });

  test('reload restarts the plugin process', async () => {
    const before = await pidOf('notes');
    const byMount = await api(server, 'POST', 'sys/plugins/reload/backend', { token: server.token, body: { mounts: ['notes2'] } });
    assert.equal(byMount.status, 200);
    assert.equal(await pidOf('notes'), before, 'reloading one of two mounts keeps the shared process');

    const byPlugin = await api(server, 'POST', 'sys/plugins/reload/backend', { token: server.token, body: { plugin: 'notes' } });
    assert.equal(byPlugin.status, 200);
    assert.equal(typeof byPlugin.body.data.reload_id, 'string');
    const after = await pidOf('notes');
    assert.notEqual(after, before);
    assert.equal(await waitForExit(before), true);
    assert.deepEqual((await get('notes/notes/first')).body.data, { text: 'hello' });
  });

  test('mounts come back after unseal', async () => {
    const before = await pidOf('notes');
    assert.equal((await api(server, 'PUT', 'sys/seal', { token: server.token })).status, 204);
    assert.equal(await waitForExit(before), true, 'sealing stops the plugin');
    assert.equal((await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } })).status, 200);

    assert.deepEqual((await get('notes/notes/first')).body.data, { text: 'hello' });
    const login = await api(server, 'PUT', 'auth/pw/login', { body: { username: 'alice', password: 's3cret' } });
    assert.equal(login.status, 200);
  });

  test('hash mismatch is never executed', async () => {
    const marker = join(scratch, 'tampered-ran');
    const registered = await writeNodePlugin(server.pluginDirectory, 'tampered', 'secrets');
    const registration = await api(server, 'POST', 'sys/plugins/catalog/secret/tampered', { token: server.token, body: { sha256: registered, command: 'tampered' } });
    assert.equal(registration.status, 204);
    // The binary changes after registration, e.g. replaced by an attacker.
    const actual = await writeNodePlugin(server.pluginDirectory, 'tampered', 'secrets', marker);

    const mounted = await api(server, 'POST', 'sys/mounts/tampered', { token: server.token, body: { type: 'tampered' } });
    assert.equal(mounted.status, 400);
    assert.deepEqual(mounted.body.errors, [
      `plugin "tampered": the SHA-256 of the binary is ${actual}, but the catalog expects ${registered}, so it was not run; if "tampered" changed on purpose, register it again with its new sha256`,
    ]);
    assert.equal(await fileExists(marker), false, 'the changed binary must not have run');
    assert.equal((await get('sys/mounts')).body.data['tampered/'], undefined, 'nothing was mounted');
  });

  test('failed reload keeps the mount', async () => {
    const registered = await registerNodePlugin(server, 'secret', 'fragile', 'secrets');
    assert.equal((await api(server, 'POST', 'sys/mounts/fragile', { token: server.token, body: { type: 'fragile' } })).status, 204);
    assert.equal((await api(server, 'PUT', 'fragile/notes/kept', { token: server.token, body: { text: 'still here' } })).status, 204);
    const reload = (body: Record<string, unknown>) => api(server, 'POST', 'sys/plugins/reload/backend', { token: server.token, body });

    // A binary changed after registration is not run, and the running process keeps serving.
    const marker = join(scratch, 'fragile-changed');
    const changed = await writeNodePlugin(server.pluginDirectory, 'fragile', 'secrets', marker);
    const mismatch = await reload({ plugin: 'fragile' });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.body.errors, [
      `cannot reload mount "fragile/": the SHA-256 of the binary of plugin "fragile" is ${changed}, but the catalog expects ${registered}; if "fragile" changed on purpose, register it again with its new sha256`,
    ]);
    assert.equal(await fileExists(marker), false, 'the changed binary must not have run');
    assert.deepEqual((await get('fragile/notes/kept')).body.data, { text: 'still here' });

    assert.equal((await api(server, 'DELETE', 'sys/plugins/catalog/secret/fragile', { token: server.token })).status, 204);
    const missing = await reload({ mounts: ['fragile'] });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors, ['cannot reload mount "fragile/": plugin "fragile" is not in the catalog any more; register it again, then reload']);
    const read = await get('fragile/notes/kept');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.data, { text: 'still here' });
    assert.equal((await api(server, 'DELETE', 'sys/mounts/fragile', { token: server.token })).status, 204);
  });

  test('pinned version selects the entry', async () => {
    const sha256 = await registerNodePlugin(server, 'secret', 'pinned', 'secrets', { version: '1.0.0' });
    const mounted = await api(server, 'POST', 'sys/mounts/pinned', { token: server.token, body: { type: 'pinned', plugin_version: 'v1.0.0' } });
    assert.equal(mounted.status, 204, JSON.stringify(mounted.body));
    assert.equal((await get('pinned/info')).status, 200);

    // sys/mounts reports the catalog plugin the mount runs, and built-in mounts as built in.
    const described = await api(server, 'GET', 'sys/mounts/pinned', { token: server.token });
    assert.equal(described.body.data.running_plugin_version, 'v1.0.0');
    assert.equal(described.body.data.running_sha256, sha256);
    const listed = await api(server, 'GET', 'sys/mounts', { token: server.token });
    assert.equal(listed.body.data['pinned/'].running_sha256, sha256);
    assert.equal(listed.body.data['cubbyhole/'].running_plugin_version, 'v0.1.0+builtin');
    assert.equal(listed.body.data['cubbyhole/'].running_sha256, '');

    const missing = await api(server, 'POST', 'sys/mounts/pinned2', { token: server.token, body: { type: 'pinned', plugin_version: 'v2.0.0' } });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors, ['plugin not found in the catalog: pinned version v2.0.0']);

    const invalid = await api(server, 'POST', 'sys/mounts/pinned3', { token: server.token, body: { type: 'pinned', plugin_version: 'latest' } });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.errors, ['invalid "plugin_version" "latest": expected the semantic version of a catalog plugin, such as "v1.2.0"']);
  });

  test('reserved option is rejected', async () => {
    const response = await api(server, 'POST', 'sys/mounts/reserved', { token: server.token, body: { type: 'notes', options: { plugin_name: 'x' } } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid option "plugin_name": the server sets it for external plugins; use another name']);
    assert.equal((await get('sys/mounts')).body.data['reserved/'], undefined);
  });

  test('plugin missing at unseal fails its mount only', async () => {
    const deleted = await api(server, 'DELETE', 'sys/plugins/catalog/secret/pinned', { token: server.token, body: { version: 'v1.0.0' } });
    assert.equal(deleted.status, 204);
    await api(server, 'PUT', 'sys/seal', { token: server.token });
    assert.equal((await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } })).status, 200);

    const response = await get('pinned/info');
    assert.equal(response.status, 404);
    assert.deepEqual(response.body.errors, [
      'mount "pinned/" failed to start at unseal: plugin not found in the catalog: pinned version v1.0.0; fix the plugin or its data, then reload the mount with sys/plugins/reload/backend',
    ]);
    assert.equal((await get('notes/notes/first')).status, 200, 'other plugin mounts still work');
  });

  test('disabling the last mount stops the process', async () => {
    const pid = await pidOf('notes');
    assert.equal((await api(server, 'DELETE', 'sys/mounts/notes2', { token: server.token })).status, 204);
    assert.equal(await pidOf('notes'), pid);
    assert.equal((await api(server, 'DELETE', 'sys/mounts/notes', { token: server.token })).status, 204);
    assert.equal(await waitForExit(pid), true);
    assert.deepEqual(server.core.plugins.supervisor.pids('notes'), []);
  });
});

describe('plugin processes at server close', () => {
  test('close leaves no process', async () => {
    const server = await startPluginTestServer();
    let pid: number;
    try {
      await registerNodePlugin(server, 'secret', 'notes', 'secrets');
      assert.equal((await api(server, 'POST', 'sys/mounts/a', { token: server.token, body: { type: 'notes' } })).status, 204);
      pid = (await api(server, 'GET', 'a/info', { token: server.token })).body.data.pid as number;
    } finally {
      await server.close();
    }
    assert.equal(await waitForExit(pid), true);
  });

});
