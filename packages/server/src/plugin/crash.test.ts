import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api } from '../testing/api-client.js';
import {
  makeTemporaryDirectory,
  removeDirectory,
  startPluginTestServer,
  TEST_PLUGINS,
  TEST_START_TIMEOUT_MS,
  waitForExit,
  waitForExitHandled,
  writeScript,
  type PluginTestServer,
} from './test-support.js';

/**
 * Plugins killed with SIGKILL, of each kind that serves requests. Each
 * plugin runs from a launcher whose behaviour a file in the scratch folder
 * switches, so its SHA-256 stays the registered one: `fail` makes it exit
 * at once and `hang` makes it never print its handshake line.
 */
describe('crashed plugin processes', () => {
  let server: PluginTestServer;
  let scratch: string;
  let auditLog: string;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, body });
  const pids = (name: string) => server.core.plugins.supervisor.pids(name);
  const login = () => api(server, 'PUT', 'auth/cp/login', { body: { username: 'alice', password: 's3cret' } });

  /** Registers a launcher of a test plugin that obeys the switch files of `name`. */
  async function registerSwitchable(type: 'secret' | 'auth' | 'audit', name: string, plugin: keyof typeof TEST_PLUGINS): Promise<void> {
    const switches = join(scratch, name);
    const sha256 = await writeScript(
      server.pluginDirectory,
      name,
      [
        `if [ -e '${switches}-fail' ]; then exit 7; fi`,
        `if [ -e '${switches}-hang' ]; then exec sleep 60; fi`,
        `exec '${process.execPath}' '${TEST_PLUGINS[plugin]}' "$@"`,
      ].join('\n'),
    );
    const response = await call('POST', `sys/plugins/catalog/${type}/${name}`, { sha256, command: name });
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  async function setSwitch(name: string, mode: 'fail' | 'hang', on: boolean): Promise<void> {
    const path = join(scratch, `${name}-${mode}`);
    if (on) await writeFile(path, '');
    else await rm(path, { force: true });
  }

  /** Kills the one process of plugin `name` and waits until the server has handled the exit. */
  async function kill(name: string): Promise<number> {
    const running = pids(name);
    assert.equal(running.length, 1, `one process of ${name} runs`);
    process.kill(running[0], 'SIGKILL');
    assert.equal(await waitForExit(running[0]), true);
    assert.equal(await waitForExitHandled(server, running[0]), true, `the server handled the exit of ${name}`);
    return running[0];
  }

  async function auditedPaths(): Promise<string[]> {
    const text = await readFile(auditLog, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line).request.path as string);
  }

  before(async () => {
    server = await startPluginTestServer();
    scratch = await makeTemporaryDirectory('coffer-crash-');
    auditLog = join(scratch, 'audit.log');
    await registerSwitchable('secret', 'crashy', 'secrets');
    await registerSwitchable('secret', 'loopy', 'secrets');
    await registerSwitchable('secret', 'sleepy', 'secrets');
    await registerSwitchable('auth', 'crashauth', 'auth');
    await registerSwitchable('audit', 'crashaudit', 'audit');
    for (const [mount, type] of [['crashy', 'crashy'], ['loopy', 'loopy'], ['sleepy', 'sleepy']]) {
      assert.equal((await call('POST', `sys/mounts/${mount}`, { type })).status, 204);
      assert.equal((await call('PUT', `${mount}/notes/kept`, { text: 'kept' })).status, 204);
    }
    assert.equal((await call('POST', 'sys/auth/cp', { type: 'crashauth' })).status, 204);
    assert.equal((await call('PUT', 'auth/cp/users/alice', { password: 's3cret', policies: 'reader' })).status, 204);
  });
  after(async () => {
    await server.close();
    await removeDirectory(scratch);
  });

  test('secrets plugin restarts on next request', async () => {
    const killed = await kill('crashy');
    assert.deepEqual(pids('crashy'), [], 'nothing restarts before a request needs the plugin');

    const read = await call('GET', 'crashy/notes/kept');

    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.data, { text: 'kept' });
    assert.equal(pids('crashy').length, 1);
    assert.notEqual(pids('crashy')[0], killed);
  });

  test('auth plugin restarts on next login', async () => {
    const killed = await kill('crashauth');
    assert.deepEqual(pids('crashauth'), []);

    const response = await login();

    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body.auth.policies, ['default', 'reader']);
    assert.notEqual(pids('crashauth')[0], killed);
  });

  test('secrets plugin that cannot start fails closed', async () => {
    await setSwitch('crashy', 'fail', true);
    await kill('crashy');

    const read = await call('GET', 'crashy/notes/kept');

    assert.equal(read.status, 500);
    assert.deepEqual(read.body.errors, [
      'plugin "crashy" is not running and could not be restarted: plugin "crashy" exited (exit code 7) before printing its handshake line; see its output in the server log; the next request tries again',
    ]);
    const write = await call('PUT', 'crashy/notes/other', { text: 'never stored' });
    assert.equal(write.status, 500);
    assert.deepEqual(pids('crashy'), []);
  });

  test('fixed plugin restarts on next request', async () => {
    await setSwitch('crashy', 'fail', false);

    const read = await call('GET', 'crashy/notes/kept');

    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal((await call('GET', 'crashy/notes/other')).status, 404, 'the failed write stored nothing');
    assert.equal(pids('crashy').length, 1);
  });

  test('auth plugin that cannot start fails closed', async () => {
    await setSwitch('crashauth', 'fail', true);
    await kill('crashauth');

    const response = await login();

    assert.equal(response.status, 500);
    assert.deepEqual(response.body.errors, [
      'plugin "crashauth" is not running and could not be restarted: plugin "crashauth" exited (exit code 7) before printing its handshake line; see its output in the server log; the next request tries again',
    ]);
    await setSwitch('crashauth', 'fail', false);
    assert.equal((await login()).status, 200);
  });

  test('hung restart fails within the start timeout', async () => {
    await setSwitch('sleepy', 'hang', true);
    await kill('sleepy');
    const started = Date.now();

    const read = await call('GET', 'sleepy/notes/kept');

    const elapsed = Date.now() - started;
    assert.equal(read.status, 500);
    assert.deepEqual(read.body.errors, [
      `plugin "sleepy" is not running and could not be restarted: plugin "sleepy" did not print its handshake line within ${TEST_START_TIMEOUT_MS} ms; it was killed; the next request tries again`,
    ]);
    assert.ok(elapsed < TEST_START_TIMEOUT_MS + 3000, `the request took ${elapsed} ms`);
    await setSwitch('sleepy', 'hang', false);
    assert.equal((await call('GET', 'sleepy/notes/kept')).status, 200);
  });

  test('restart attempts are bounded', async () => {
    await setSwitch('loopy', 'fail', true);
    await kill('loopy');
    const failure = 'plugin "loopy" exited (exit code 7) before printing its handshake line; see its output in the server log';
    const sooner = 'to start it sooner, fix the plugin, then reload its mounts with sys/plugins/reload/backend';
    for (let index = 0; index < 4; index++) {
      const read = await call('GET', 'loopy/notes/kept');
      assert.equal(read.status, 500);
      assert.deepEqual(read.body.errors, [`plugin "loopy" is not running and could not be restarted: ${failure}; the next request tries again`], `attempt ${index + 1}`);
    }
    const fifth = await call('GET', 'loopy/notes/kept');
    assert.equal(fifth.status, 500);
    const fifthError = fifth.body.errors[0] as string;
    const prefix = `plugin "loopy" is not running and could not be restarted: ${failure}; it is not tried again before `;
    assert.equal(fifthError.startsWith(prefix), true, fifthError);
    assert.equal(fifthError.endsWith(`; ${sooner}`), true, fifthError);
    const until = fifthError.slice(prefix.length, -`; ${sooner}`.length);
    assert.match(until, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await setSwitch('loopy', 'fail', false);
    const launchesBefore = server.logLines.filter((line) => line.plugin === 'loopy' && line.msg === 'plugin could not be restarted').length;

    const read = await call('GET', 'loopy/notes/kept');

    assert.equal(read.status, 500);
    assert.deepEqual(read.body.errors, [
      `plugin "loopy" is not running (the last restart failed: ${failure}) and was restarted 5 times within 60 s; it is not tried again before ${until}; ${sooner}`,
    ]);
    const launchesAfter = server.logLines.filter((line) => line.plugin === 'loopy' && line.msg === 'plugin could not be restarted').length;
    assert.equal(launchesAfter, launchesBefore, 'no further attempt was made');
    assert.equal((await call('POST', 'sys/plugins/reload/backend', { plugin: 'loopy' })).status, 200);
    assert.deepEqual((await call('GET', 'loopy/notes/kept')).body.data, { text: 'kept' });
  });

  test('audit plugin restarts on next request', async () => {
    assert.equal((await call('PUT', 'sys/audit/crash', { type: 'crashaudit', options: { file_path: auditLog } })).status, 204);
    const killed = await kill('crashaudit');
    assert.deepEqual(pids('crashaudit'), []);

    const write = await call('PUT', 'secret/data/audited', { data: { value: 'one' } });

    assert.equal(write.status, 200, JSON.stringify(write.body));
    assert.equal((await auditedPaths()).filter((path) => path === 'secret/data/audited').length, 2, 'request and response entries');
    assert.notEqual(pids('crashaudit')[0], killed);
  });

  test('audit plugin that cannot start fails closed', async () => {
    await setSwitch('crashaudit', 'fail', true);
    await kill('crashaudit');

    const write = await call('PUT', 'secret/data/unaudited', { data: { value: 'never stored' } });

    assert.equal(write.status, 500);
    assert.deepEqual(write.body.errors, ['failed to audit the request: no enabled audit device recorded it']);
    assert.equal((await auditedPaths()).includes('secret/data/unaudited'), false);
    await setSwitch('crashaudit', 'fail', false);
    const read = await call('GET', 'secret/data/unaudited');
    assert.equal(read.status, 404, 'the refused write stored nothing');
    assert.equal((await auditedPaths()).includes('secret/data/unaudited'), true, 'the restarted device records again');
  });

  test('another audit device keeps requests going', async () => {
    const fileLog = join(scratch, 'file-audit.log');
    assert.equal((await call('PUT', 'sys/audit/file', { type: 'file', options: { file_path: fileLog } })).status, 204);
    await setSwitch('crashaudit', 'fail', true);
    await kill('crashaudit');

    const write = await call('PUT', 'secret/data/covered', { data: { value: 'stored' } });

    assert.equal(write.status, 200, JSON.stringify(write.body));
    assert.equal((await readFile(fileLog, 'utf8')).includes('"secret/data/covered"'), true, 'the file device recorded it');
    assert.equal((await auditedPaths()).includes('secret/data/covered'), false);
  });
});
