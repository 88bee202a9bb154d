import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api } from '../testing/api-client.js';
import {
  loggedPluginPids,
  registerNodePlugin,
  startPluginTestServer,
  waitForExit,
  writeNodePlugin,
  writeScript,
  type PluginTestServer,
} from './test-support.js';

/**
 * Reloads and moves whose new backend cannot start. The broken binaries are
 * registered properly, so they pass the catalog and SHA-256 checks and fail
 * only once they run.
 */
describe('failed plugin reload', () => {
  let server: PluginTestServer;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, body });
  const pidOf = async (mount: string): Promise<number> => (await call('GET', `${mount}/info`)).body.data.pid as number;
  const reload = (body: Record<string, unknown>) => call('POST', 'sys/plugins/reload/backend', body);

  /** Points the catalog entry `name` at a new executable `command` with the given script body. */
  async function registerScript(type: 'secret' | 'auth', name: string, command: string, body: string): Promise<void> {
    const sha256 = await writeScript(server.pluginDirectory, command, body);
    const response = await call('POST', `sys/plugins/catalog/${type}/${name}`, { sha256, command });
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  /** Points the catalog entry `name` at a working copy of a test plugin under `command`. */
  async function registerWorking(type: 'secret' | 'auth', name: string, command: string, plugin: 'secrets' | 'auth'): Promise<void> {
    const sha256 = await writeNodePlugin(server.pluginDirectory, command, plugin);
    const response = await call('POST', `sys/plugins/catalog/${type}/${name}`, { sha256, command });
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  async function assertServing(): Promise<void> {
    for (const mount of ['brittle', 'brittle2']) {
      const read = await call('GET', `${mount}/notes/kept`);
      assert.equal(read.status, 200, `${mount}: ${JSON.stringify(read.body)}`);
      assert.deepEqual(read.body.data, { text: `${mount} data` });
    }
  }

  before(async () => {
    server = await startPluginTestServer();
    await registerNodePlugin(server, 'secret', 'brittle', 'secrets');
    for (const mount of ['brittle', 'brittle2']) {
      assert.equal((await call('POST', `sys/mounts/${mount}`, { type: 'brittle' })).status, 204);
      assert.equal((await call('PUT', `${mount}/notes/kept`, { text: `${mount} data` })).status, 204);
    }
    await registerNodePlugin(server, 'auth', 'pwds', 'auth');
    assert.equal((await call('POST', 'sys/auth/pw', { type: 'pwds' })).status, 204);
    assert.equal((await call('PUT', 'auth/pw/users/alice', { password: 's3cret', policies: 'reader' })).status, 204);
  });
  after(async () => {
    await server.close();
  });

  test('unknown mount changes nothing', async () => {
    const pid = await pidOf('brittle');
    const startedBefore = loggedPluginPids(server.logLines, 'brittle').length;

    const response = await reload({ mounts: ['brittle', 'nowhere'] });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "mounts" entry "nowhere": no secrets engine or auth method is mounted there']);
    assert.equal(loggedPluginPids(server.logLines, 'brittle').length, startedBefore, 'no process was started');
    assert.deepEqual(server.core.plugins.supervisor.pids('brittle'), [pid]);
    await assertServing();
  });

  test('bad handshake keeps the mounts serving', async () => {
    const pid = await pidOf('brittle');
    await registerScript('secret', 'brittle', 'brittle-garbled', 'echo "not a handshake"\nsleep 5');

    const response = await reload({ plugin: 'brittle' });

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'cannot reload mount "brittle/": plugin "brittle" printed an invalid handshake line: malformed handshake line "not a handshake": expected "core-version|app-version|network|address|protocol|server-cert"',
    ]);
    await assertServing();
    assert.equal(await pidOf('brittle'), pid);
    assert.equal(await pidOf('brittle2'), pid);
    assert.deepEqual(server.core.plugins.supervisor.pids('brittle'), [pid]);
  });

  test('exit at start keeps the mounts serving', async () => {
    const pid = await pidOf('brittle');
    await registerScript('secret', 'brittle', 'brittle-exits', 'exit 3');

    const response = await reload({ mounts: ['brittle', 'brittle2'] });

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'cannot reload mount "brittle/": plugin "brittle" exited (exit code 3) before printing its handshake line; see its output in the server log',
    ]);
    await assertServing();
    assert.deepEqual(server.core.plugins.supervisor.pids('brittle'), [pid]);
  });

  test('failed auth reload keeps logins working', async () => {
    await registerScript('auth', 'pwds', 'pwds-exits', 'exit 4');

    const response = await reload({ mounts: ['auth/pw'] });

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'cannot reload mount "auth/pw/": plugin "pwds" exited (exit code 4) before printing its handshake line; see its output in the server log',
    ]);
    const login = await api(server, 'PUT', 'auth/pw/login', { body: { username: 'alice', password: 's3cret' } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
  });

  test('one failure undoes the whole reload', async () => {
    const pid = await pidOf('brittle');
    await registerWorking('secret', 'brittle', 'brittle-fixed', 'secrets');

    // The secrets mounts start on a new process, then the auth mount fails.
    const response = await reload({ mounts: ['brittle', 'brittle2', 'auth/pw'] });

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'cannot reload mount "auth/pw/": plugin "pwds" exited (exit code 4) before printing its handshake line; see its output in the server log',
    ]);
    await assertServing();
    assert.equal(await pidOf('brittle'), pid, 'the old process still serves');
    const started = loggedPluginPids(server.logLines, 'brittle');
    const replacement = started[started.length - 1];
    assert.notEqual(replacement, pid, 'a new process was started for the reload');
    assert.equal(await waitForExit(replacement), true, 'the new process was stopped');
    assert.deepEqual(server.core.plugins.supervisor.pids('brittle'), [pid]);
  });

  test('reload after the fix replaces the process', async () => {
    const pid = await pidOf('brittle');

    const response = await reload({ plugin: 'brittle' });

    assert.equal(response.status, 200, JSON.stringify(response.body));
    await assertServing();
    const replacement = await pidOf('brittle');
    assert.notEqual(replacement, pid);
    assert.equal(await pidOf('brittle2'), replacement, 'both mounts share the new process');
    assert.equal(await waitForExit(pid), true, 'the old process exits');
    assert.deepEqual(server.core.plugins.supervisor.pids('brittle'), [replacement]);

    // Reloading one of the two mounts keeps the shared process. The old and
    // new instance of the mount run side by side in it until the switch.
    const single = await reload({ mounts: ['brittle2'] });
    assert.equal(single.status, 200, JSON.stringify(single.body));
    await assertServing();
    assert.equal(await pidOf('brittle2'), replacement);
  });

  test('failed move keeps the mount in place', async () => {
    await registerScript('secret', 'brittle', 'brittle-exits', 'exit 3');

    const response = await call('POST', 'sys/remount', { from: 'brittle2', to: 'moved' });

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'cannot move mount "brittle2/" to "moved/": plugin "brittle" exited (exit code 3) before printing its handshake line; see its output in the server log',
    ]);
    const mounts = await call('GET', 'sys/mounts');
    assert.equal(mounts.body.data['brittle2/'].type, 'brittle');
    assert.equal(mounts.body.data['moved/'], undefined);
    await assertServing();
    assert.equal((await call('GET', 'moved/notes/kept')).status, 404);
  });

  test('failed tune keeps the mount as it was', async () => {
    const pid = await pidOf('brittle2');

    const response = await call('POST', 'sys/mounts/brittle2/tune', { options: { version: '2' } });

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'cannot tune mount "brittle2/": plugin "brittle" exited (exit code 3) before printing its handshake line; see its output in the server log',
    ]);
    assert.equal((await call('GET', 'sys/mounts/brittle2/tune')).body.data.options, null);
    await assertServing();
    assert.equal(await pidOf('brittle2'), pid);
  });
});
