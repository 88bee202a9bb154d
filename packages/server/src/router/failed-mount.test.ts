import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  makeTemporaryDirectory,
  removeDirectory,
  startConfiguredPluginServer,
  writeNodePlugin,
  writeScript,
  type ConfiguredTestServer,
} from '../plugin/test-support.js';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { loadMountTable, saveMountTable } from './mount-table.js';

const STARTUP_PLUGIN = fileURLToPath(new URL('./testdata/startup-plugin.js', import.meta.url));
const FAILED_MSG = 'mount failed to start at unseal';
const FIX = 'fix the plugin or its data, then reload the mount with sys/plugins/reload/backend';

/**
 * Out-of-process plugin mounts whose backend cannot start when the server
 * unseals, on SQLite storage so that the server can be restarted.
 */
describe('plugin mounts that fail to start at unseal', () => {
  let directory: string;
  let pluginDirectory: string;
  let server: ConfiguredTestServer;
  let root: string;
  let unsealKey: string;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: root, body });
  const marker = () => join(directory, 'locked');

  const start = async () => {
    server = await startConfiguredPluginServer(
      directory,
      `plugin_directory = "${pluginDirectory}"\nstorage "sqlite" {\n  path = "${join(directory, 'coffer.db')}"\n}`,
    );
  };

  async function unseal(): Promise<void> {
    const response = await api(server, 'PUT', 'sys/unseal', { body: { key: unsealKey } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.sealed, false);
  }

  async function sealAndUnseal(): Promise<void> {
    assert.equal((await call('PUT', 'sys/seal')).status, 204);
    await unseal();
  }

  /** Replaces the notes and pw binaries with scripts whose SHA-256 the catalog does not have. */
  async function breakBinaries(): Promise<void> {
    await writeScript(pluginDirectory, 'notes', 'exit 7');
    await writeScript(pluginDirectory, 'pwds', 'exit 8');
  }

  async function fixBinaries(): Promise<void> {
    await writeNodePlugin(pluginDirectory, 'notes', 'secrets');
    await writeNodePlugin(pluginDirectory, 'pwds', 'auth');
  }

  async function register(type: 'secret' | 'auth', name: string, sha256: string): Promise<void> {
    const response = await call('POST', `sys/plugins/catalog/${type}/${name}`, { sha256, command: name });
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  async function assertKvServes(): Promise<void> {
    const read = await call('GET', 'kv/app');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.data, { password: 'kept' });
  }

  /** Asserts that a request to `path` fails with the error of the failed mount `mount`. */
  async function assertFailed(mount: string, path: string, reason: string, method = 'GET'): Promise<void> {
    const response = await call(method, path);
    assert.equal(response.status, 404, JSON.stringify(response.body));
    assert.deepEqual(response.body.errors, [`mount "${mount}" failed to start at unseal: ${reason}; ${FIX}`]);
  }

  function shaMismatch(name: string): RegExp {
    return new RegExp(`^plugin "${name}": the SHA-256 of the binary is [0-9a-f]{64}, but the catalog expects [0-9a-f]{64}, so it was not run`);
  }

  async function assertFailedBinaries(): Promise<void> {
    for (const [mount, path, name] of [['notes/', 'notes/notes/kept', 'notes'], ['auth/pw/', 'auth/pw/users/alice', 'pwds']]) {
      const response = await call('GET', path);
      assert.equal(response.status, 404, JSON.stringify(response.body));
      const [message] = response.body.errors as string[];
      const prefix = `mount "${mount}" failed to start at unseal: `;
      assert.ok(message.startsWith(prefix), message);
      assert.match(message.slice(prefix.length), shaMismatch(name));
      assert.ok(message.endsWith(`; ${FIX}`), message);
    }
  }

  before(async () => {
    directory = await makeTemporaryDirectory('coffer-failed-mount-');
    pluginDirectory = await makeTemporaryDirectory('coffer-failed-mount-plugins-');
    await start();
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    root = init.body.root_token;
    unsealKey = init.body.keys_base64[0];
    await unseal();

    await register('secret', 'notes', await writeNodePlugin(pluginDirectory, 'notes', 'secrets'));
    await register('auth', 'pwds', await writeNodePlugin(pluginDirectory, 'pwds', 'auth'));
    const startup = `exec '${process.execPath}' '${STARTUP_PLUGIN}' "$@"`;
    await register('secret', 'startup', await writeScript(pluginDirectory, 'startup', startup));

    assert.equal((await call('POST', 'sys/mounts/kv', { type: 'kv' })).status, 204);
    assert.equal((await call('PUT', 'kv/app', { password: 'kept' })).status, 204);
    assert.equal((await call('POST', 'sys/mounts/notes', { type: 'notes' })).status, 204);
    assert.equal((await call('PUT', 'notes/notes/kept', { text: 'still here' })).status, 204);
    assert.equal((await call('POST', 'sys/auth/pw', { type: 'pwds' })).status, 204);
    assert.equal((await call('PUT', 'auth/pw/users/alice', { password: 's3cret', policies: 'reader' })).status, 204);
    const mounted = await call('POST', 'sys/mounts/startup', { type: 'startup', options: { fail_while: marker() } });
    assert.equal(mounted.status, 204, JSON.stringify(mounted.body));
  });
  after(async () => {
    await server?.close();
    await removeDirectory(directory);
    await removeDirectory(pluginDirectory);
  });

  test('changed binaries fail only their mounts', async () => {
    await breakBinaries();
    const logged = server.logLines.length;

    await sealAndUnseal();

    await assertKvServes();
    await assertFailedBinaries();
    assert.equal((await call('GET', 'startup/status')).status, 200);
    assert.equal((await call('GET', 'sys/mounts')).body.data['notes/'].type, 'notes');
    assert.equal((await call('GET', 'sys/auth')).body.data['pw/'].type, 'pwds');
    const errors = server.logLines.slice(logged).filter((line) => line.level === 'error');
    assert.deepEqual(errors.map((line) => line.msg), [FAILED_MSG, FAILED_MSG], 'each failure is logged once');
    const failures = errors.filter((line) => line.msg === FAILED_MSG);
    assert.deepEqual(
      failures.map((line) => [line.path, line.type, line.level]),
      [['notes/', 'notes', 'error'], ['auth/pw/', 'pwds', 'error']],
    );
    for (const line of failures) assert.match((line.err as { message: string }).message, shaMismatch(line.type as string));
  });

  test('failed Initialize fails only its mount', async () => {
    await writeFile(marker(), '');

    await sealAndUnseal();

    await assertFailed('startup/', 'startup/status', `the key store is locked while ${marker()} exists`);
    await assertFailed('startup/', 'startup/status', `the key store is locked while ${marker()} exists`, 'PUT');
    await assertKvServes();
  });

  test('internal error stays in the log', async () => {
    await writeFile(marker(), 'internal');
    const logged = server.logLines.length;

    await sealAndUnseal();

    await assertFailed('startup/', 'startup/status', 'an internal error; see the server log');
    // The notes and pw binaries are still broken, so only the startup/ line is checked here.
    const failures = server.logLines.slice(logged).filter((line) => line.msg === FAILED_MSG && line.path === 'startup/');
    assert.equal(failures.length, 1);
    assert.equal((failures[0].err as { message: string }).message, `the key store at ${marker()} is corrupt`);
    await writeFile(marker(), '');
  });

  test('reload after the fix brings the mounts back', async () => {
    await fixBinaries();
    await rm(marker());

    const reloaded = await call('POST', 'sys/plugins/reload/backend', { mounts: ['notes', 'auth/pw', 'startup'] });

    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.deepEqual((await call('GET', 'notes/notes/kept')).body.data, { text: 'still here' });
    const login = await api(server, 'PUT', 'auth/pw/login', { body: { username: 'alice', password: 's3cret' } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual((await call('GET', 'startup/status')).body.data, { started: true });
    await assertKvServes();
  });

  test('restart keeps failed mounts failed', async () => {
    await breakBinaries();
    await writeFile(marker(), '');
    await server.close();

    await start();
    await unseal();

    await assertKvServes();
    await assertFailedBinaries();
    await assertFailed('startup/', 'startup/status', `the key store is locked while ${marker()} exists`);

    await fixBinaries();
    await rm(marker());
    const reloaded = await call('POST', 'sys/plugins/reload/backend', { mounts: ['notes', 'auth/pw', 'startup'] });
    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.deepEqual((await call('GET', 'notes/notes/kept')).body.data, { text: 'still here' });
    assert.deepEqual((await call('GET', 'startup/status')).body.data, { started: true });
  });

  test('failed reload keeps the error', async () => {
    await writeFile(marker(), '');
    await sealAndUnseal();

    const reloaded = await call('POST', 'sys/plugins/reload/backend', { mounts: ['startup'] });

    assert.equal(reloaded.status, 400);
    assert.deepEqual(reloaded.body.errors, [`cannot reload mount "startup/": the key store is locked while ${marker()} exists`]);
    await assertFailed('startup/', 'startup/status', `the key store is locked while ${marker()} exists`);
  });

  test('disable removes a failed mount', async () => {
    const disabled = await call('DELETE', 'sys/mounts/startup');

    assert.equal(disabled.status, 204, JSON.stringify(disabled.body));
    assert.equal((await call('GET', 'sys/mounts')).body.data['startup/'], undefined);
    const unrouted = await call('GET', 'startup/status');
    assert.equal(unrouted.status, 404);
    assert.deepEqual(unrouted.body.errors, ['no handler for route "startup/status". route entry not found.']);
    await rm(marker());
  });
});

/** A built-in engine whose backend throws when the server unseals. */
describe('built-in mount that fails to start at unseal', () => {
  const TOKEN = 'root-failed-builtin-test';
  let server: RunningServer;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: TOKEN, body });

  before(async () => {
    server = await startDevServer(TOKEN);
    for (const mount of ['kv', 'odd']) {
      assert.equal((await call('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '1' } })).status, 204);
      assert.equal((await call('PUT', `${mount}/app`, { password: mount })).status, 204);
    }
  });
  after(() => server.close());

  test('invalid stored option fails only its mount', async () => {
    // A KV version that no release writes is an example of stored state that a backend rejects.
    const barrier = server.core.barrier;
    const table = (await loadMountTable(barrier, 'core/mounts'))!;
    await saveMountTable(barrier, 'core/mounts', table.map((entry) => (entry.path === 'odd/' ? { ...entry, options: { version: '9' } } : entry)));

    assert.equal((await call('PUT', 'sys/seal')).status, 204);
    const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } });

    assert.equal(unsealed.status, 200, JSON.stringify(unsealed.body));
    assert.deepEqual((await call('GET', 'kv/app')).body.data, { password: 'kv' });
    const failed = await call('GET', 'odd/app');
    assert.equal(failed.status, 404);
    assert.deepEqual(failed.body.errors, [
      `mount "odd/" failed to start at unseal: invalid mount option "version": "9" is not a KV version: use "1" or "2"; ${FIX}`,
    ]);
  });

  test('tune to a valid version brings it back', async () => {
    const tuned = await call('POST', 'sys/mounts/odd/tune', { options: { version: '2' } });

    assert.equal(tuned.status, 204, JSON.stringify(tuned.body));
    assert.deepEqual((await call('GET', 'odd/data/app')).body.data.data, { password: 'odd' });
  });
});
