import assert from 'node:assert/strict';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import type { RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';
import { ExternalStorage } from './storage-client.js';
import {
  loggedPluginPids,
  makeTemporaryDirectory,
  processExists,
  readPid,
  removeDirectory,
  startConfiguredPluginServer,
  TEST_PLUGINS,
  TEST_START_TIMEOUT_MS,
  waitForExit,
  writeNodePlugin,
  writeScript,
  type ConfiguredTestServer,
} from './test-support.js';

const PLUGIN = 'wirestore';

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Initializes and unseals a fresh server with one key share and mounts KV v2 at `secret/`. */
async function initialize(server: RunningServer): Promise<{ rootToken: string; key: string }> {
  const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  assert.equal(init.status, 200, JSON.stringify(init.body));
  const key = init.body.keys_base64[0] as string;
  const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key } });
  assert.equal(unsealed.body.sealed, false, JSON.stringify(unsealed.body));
  const rootToken = init.body.root_token as string;
  const mounted = await api(server, 'POST', 'sys/mounts/secret', { token: rootToken, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(mounted.status, 204, JSON.stringify(mounted.body));
  return { rootToken, key };
}

describe('storage plugin', () => {
  let directory: string;
  let pluginDirectory: string;
  let sha256: string;
  const storageStanza = (settings: string): string =>
    `plugin_directory = "${pluginDirectory}"\nstorage "${PLUGIN}" {\n  plugin_sha256 = "${sha256}"\n${settings}\n}`;

  before(async () => {
    directory = await makeTemporaryDirectory('coffer-storage-plugin-');
    pluginDirectory = join(directory, 'plugins');
    await mkdir(pluginDirectory);
    sha256 = await writeNodePlugin(pluginDirectory, PLUGIN, 'storage');
  });
  after(async () => {
    await removeDirectory(directory);
  });

  test('server keeps secrets across restart', async () => {
    const config = storageStanza(`  path = "${join(directory, 'restart', 'coffer.db')}"`);
    let server: ConfiguredTestServer | undefined = await startConfiguredPluginServer(directory, config);
    try {
      const [firstPid] = loggedPluginPids(server.logLines, PLUGIN);
      assert.equal(processExists(firstPid), true);
      const { rootToken, key } = await initialize(server);
      const written = await api(server, 'PUT', 'secret/data/app', { token: rootToken, body: { data: { password: 'over-the-wire' } } });
      assert.equal(written.status, 200, JSON.stringify(written.body));
      assert.equal(written.body.data.version, 1);
      await server.close();
      server = undefined;
      assert.equal(await waitForExit(firstPid), true, 'closing the server stops the storage plugin');

      server = await startConfiguredPluginServer(directory, config);
      const sealed = await api(server, 'GET', 'sys/seal-status');
      assert.equal(sealed.body.initialized, true);
      assert.equal(sealed.body.sealed, true);
      assert.equal((await api(server, 'PUT', 'sys/unseal', { body: { key } })).body.sealed, false);
      const read = await api(server, 'GET', 'secret/data/app', { token: rootToken });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.deepEqual(read.body.data.data, { password: 'over-the-wire' });
      assert.equal(read.body.data.metadata.version, 1);
    } finally {
      await server?.close();
    }
  });

  test('killed plugin is restarted', async () => {
    const config = storageStanza(`  path = "${join(directory, 'crash', 'coffer.db')}"`);
    const server = await startConfiguredPluginServer(directory, config);
    try {
      const { rootToken } = await initialize(server);
      assert.equal((await api(server, 'PUT', 'secret/data/app', { token: rootToken, body: { data: { n: '1' } } })).status, 200);
      const [firstPid] = loggedPluginPids(server.logLines, PLUGIN);
      process.kill(firstPid, 'SIGKILL');
      assert.equal(await waitForExit(firstPid), true);

      // A request that meets the dead process fails with the restart message; later ones succeed.
      // The physical cache contains secret/data/app since the write, so a path never read before is what reaches the plugin.
      let probe = await api(server, 'GET', 'secret/data/unread', { token: rootToken });
      for (let attempt = 0; probe.status !== 404 && attempt < 20; attempt++) {
        assert.equal(probe.status, 500);
        assert.match(probe.body.errors[0], /^storage plugin "wirestore" stopped during Get \(.+\); it restarts on the next request, so retry the request$/);
        await new Promise((resolve) => setTimeout(resolve, 100));
        probe = await api(server, 'GET', 'secret/data/unread', { token: rootToken });
      }
      assert.equal(probe.status, 404, JSON.stringify(probe.body));
      const read = await api(server, 'GET', 'secret/data/app', { token: rootToken });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.deepEqual(read.body.data.data, { n: '1' });

      const pids = loggedPluginPids(server.logLines, PLUGIN);
      assert.equal(pids.length, 2);
      assert.notEqual(pids[1], firstPid);
      assert.ok(server.logLines.some((line) => line.msg === 'plugin process exited unexpectedly; it restarts on the next request' && line.pid === firstPid));
      const written = await api(server, 'PUT', 'secret/data/app', { token: rootToken, body: { data: { n: '2' } } });
      assert.equal(written.status, 200, JSON.stringify(written.body));
      assert.equal(written.body.data.version, 2);
    } finally {
      await server.close();
    }
  });

  test('in-flight call fails clearly', async () => {
    const settings = { plugin_sha256: sha256, path: join(directory, 'inflight.db'), slow_key_prefix: 'slow/', slow_ms: '3000' };
    const storage = await ExternalStorage.open(PLUGIN, settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, silentLogger);
    try {
      await storage.put({ key: 'kept', value: Buffer.from('before') });
      const firstPid = storage.pid!;
      const slowPut = storage.put({ key: 'slow/lost', value: Buffer.from('never acknowledged') });
      const failed = assert.rejects(slowPut, {
        message: /^storage plugin "wirestore" stopped during Put \(.+\); it restarts on the next request, so retry the request$/,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      process.kill(firstPid, 'SIGKILL');
      await failed;

      assert.deepEqual(await storage.get('kept'), { key: 'kept', value: Buffer.from('before') });
      assert.equal(await storage.get('slow/lost'), null);
      assert.notEqual(storage.pid, firstPid);
      await storage.put({ key: 'after', value: Buffer.from('restart') });
      assert.deepEqual(await storage.list(''), ['after', 'kept']);
    } finally {
      await storage.close();
    }
  });

  test('invalid keys never reach the plugin', async () => {
    const settings = { plugin_sha256: sha256, path: join(directory, 'keys.db') };
    const storage = await ExternalStorage.open(PLUGIN, settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, silentLogger);
    try {
      await assert.rejects(storage.put({ key: 'lone\uD800', value: Buffer.from('x') }), {
        message: 'invalid storage key: key "lone\\ud800" contains a lone UTF-16 surrogate',
      });
      await assert.rejects(storage.get('a/../b'), { message: 'invalid storage key: key "a/../b" contains a ".." segment' });
      await assert.rejects(storage.list('a'), { message: 'invalid storage prefix: "a" must be empty or end with "/"' });
      assert.deepEqual(await storage.list(''), []);
    } finally {
      await storage.close();
    }
  });

  test('unknown setting stops start-up', async () => {
    const pidFile = join(directory, 'unknown-setting.pid');
    const hash = await writeScript(pluginDirectory, 'picky', `echo $$ > '${pidFile}'\nexec '${process.execPath}' '${TEST_PLUGINS.storage}'`);
    const config = `plugin_directory = "${pluginDirectory}"\nstorage "picky" {\n  plugin_sha256 = "${hash}"\n  path = "${join(directory, 'unknown.db')}"\n  colour = "red"\n}`;
    await assert.rejects(startConfiguredPluginServer(directory, config), {
      message: 'storage "picky": the plugin\'s Create call failed: unknown setting "colour"; known settings: path, slow_key_prefix, slow_ms, create_delay_ms',
    });
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'no plugin process is left behind');
  });

  test('hash mismatch never runs the plugin', async () => {
    const marker = join(directory, 'mismatch-ran');
    const realHash = await writeScript(pluginDirectory, 'mismatch', `: > '${marker}'\nexit 1`);
    const wrong = realHash.replace(/^./, realHash[0] === '0' ? '1' : '0');
    const config = `plugin_directory = "${pluginDirectory}"\nstorage "mismatch" {\n  plugin_sha256 = "${wrong}"\n  path = "/nowhere"\n}`;
    await assert.rejects(startConfiguredPluginServer(directory, config), {
      message: `storage "mismatch": the SHA-256 of "mismatch" is ${realHash}, but "plugin_sha256" is ${wrong}, so it was not run; if the binary changed on purpose, set "plugin_sha256" to its new hash`,
    });
    assert.equal(await fileExists(marker), false, 'the binary must not have run');
  });

  test('bad handshake stops start-up', async () => {
    const pidFile = join(directory, 'bad-handshake.pid');
    const hash = await writeScript(pluginDirectory, 'chatty', `echo $$ > '${pidFile}'\necho 'hello from a plugin'\nexec sleep 30`);
    const config = `plugin_directory = "${pluginDirectory}"\nstorage "chatty" {\n  plugin_sha256 = "${hash}"\n}`;
    await assert.rejects(startConfiguredPluginServer(directory, config), {
      message:
        'storage "chatty": plugin "chatty" printed an invalid handshake line: malformed handshake line "hello from a plugin": expected "core-version|app-version|network|address|protocol|server-cert"',
    });
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'no plugin process is left behind');
  });

  test('hung start times out', async () => {
    const pidFile = join(directory, 'hung.pid');
    const hash = await writeScript(pluginDirectory, 'hung', `echo $$ > '${pidFile}'\nexec sleep 30`);
    const config = `plugin_directory = "${pluginDirectory}"\nstorage "hung" {\n  plugin_sha256 = "${hash}"\n}`;
    const started = Date.now();
    await assert.rejects(startConfiguredPluginServer(directory, config), {
      message: `storage "hung": plugin "hung" did not print its handshake line within ${TEST_START_TIMEOUT_MS} ms; it was killed`,
    });
    assert.ok(Date.now() - started < TEST_START_TIMEOUT_MS + 2000, `start-up failed after ${Date.now() - started} ms`);
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'no plugin process is left behind');
  });

  test('hung Create is killed in time', async () => {
    const pidFile = join(directory, 'hung-create.pid');
    const hash = await writeScript(pluginDirectory, 'slowcreate', `echo $$ > '${pidFile}'\nexec '${process.execPath}' '${TEST_PLUGINS.storage}'`);
    const settings = { plugin_sha256: hash, path: join(directory, 'hung-create.db'), create_delay_ms: '60000' };
    const startTimeoutMs = 2500;
    const started = Date.now();
    await assert.rejects(ExternalStorage.open('slowcreate', settings, { pluginDirectory, startTimeoutMs }, silentLogger), {
      message: `storage "slowcreate": the plugin's Create call did not finish within the start timeout of ${startTimeoutMs} ms; it was killed`,
    });
    assert.ok(Date.now() - started < startTimeoutMs + 1000, `start-up failed after ${Date.now() - started} ms`);
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'no plugin process is left behind');
  });

  test('missing plugin directory stops start-up', async () => {
    const config = `storage "${PLUGIN}" {\n  plugin_sha256 = "${sha256}"\n}`;
    await assert.rejects(startConfiguredPluginServer(directory, config), {
      message: `storage "${PLUGIN}": "${PLUGIN}" is not a built-in storage type, so it runs as an external plugin: set "plugin_directory" in the server configuration`,
    });
  });

  test('unknown type without plugin settings', async () => {
    await assert.rejects(startConfiguredPluginServer(directory, 'storage "nosuch" {}'), {
      message: /^unknown storage type "nosuch": use one of /,
    });
  });
});
