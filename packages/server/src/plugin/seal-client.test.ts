import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { silentLogger, type BlobInfo } from '@coffer/sdk';
import { api } from '../testing/api-client.js';
import { ExternalSeal } from './seal-client.js';
import {
  loggedPluginPids,
  makeTemporaryDirectory,
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

const PLUGIN = 'aesfile';
const RETRY = { initialMs: 50, maxMs: 200 };

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await delay(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Decrypts after the plugin was killed. The first call may reach the dead
 * process before the host notices the exit. That call fails with the
 * restart message, and the next one waits for the new process.
 */
async function decryptWithRetry(seal: ExternalSeal, blob: BlobInfo, aad: Buffer): Promise<Buffer> {
  try {
    return await seal.decrypt(blob, aad);
  } catch (err) {
    assert.match((err as Error).message, /^seal plugin "aesfile" stopped during Decrypt \(.+\); it restarts on the next request, so retry the request$/);
    return seal.decrypt(blob, aad);
  }
}

describe('seal plugin', () => {
  let directory: string;
  let pluginDirectory: string;
  let sha256: string;
  let keyHex: string;
  let server: ConfiguredTestServer | undefined;
  let rootToken: string;

  const config = (keyFile: string): string =>
    [
      `plugin_directory = "${pluginDirectory}"`,
      `storage "sqlite" {\n  path = "${join(directory, 'coffer.db')}"\n}`,
      `seal "${PLUGIN}" {\n  plugin_sha256 = "${sha256}"\n  key_file = "${keyFile}"\n}`,
    ].join('\n');
  const start = async (keyFile = join(directory, 'seal.key')): Promise<ConfiguredTestServer> => {
    server = await startConfiguredPluginServer(directory, config(keyFile), { autoUnsealRetry: RETRY });
    return server;
  };
  const isSealed = async (): Promise<boolean> => (await api(server!, 'GET', 'sys/seal-status')).body.sealed;

  before(async () => {
    directory = await makeTemporaryDirectory('coffer-seal-plugin-');
    pluginDirectory = join(directory, 'plugins');
    await mkdir(pluginDirectory);
    sha256 = await writeNodePlugin(pluginDirectory, PLUGIN, 'seal');
    keyHex = randomBytes(32).toString('hex');
    await writeFile(join(directory, 'seal.key'), `${keyHex}\n`, { mode: 0o600 });
  });
  after(async () => {
    await server?.close();
    await removeDirectory(directory);
  });

  test('init returns recovery keys', async () => {
    await start();
    const before = await api(server!, 'GET', 'sys/seal-status');
    assert.equal(before.body.type, PLUGIN);
    assert.equal(before.body.recovery_seal, true);
    assert.equal(before.body.initialized, false);

    const init = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 2 } });
    assert.equal(init.status, 200, JSON.stringify(init.body));
    assert.deepEqual(init.body.keys, []);
    assert.equal(init.body.recovery_keys.length, 3);
    rootToken = init.body.root_token;

    const status = await api(server!, 'GET', 'sys/seal-status');
    assert.equal(status.body.sealed, false);
    assert.equal(status.body.t, 2);
    assert.equal(status.body.n, 3);
    assert.equal((await api(server!, 'POST', 'sys/mounts/secret', { token: rootToken, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(server!, 'PUT', 'secret/db', { token: rootToken, body: { user: 'app' } })).status, 204);
  });

  test('restart unseals itself', async () => {
    const [firstPid] = loggedPluginPids(server!.logLines, PLUGIN);
    await server!.close();
    server = undefined;
    assert.equal(await waitForExit(firstPid), true, 'closing the server stops the seal plugin');

    await start();
    await waitUntil(async () => !(await isSealed()), 'auto-unseal after restart');
    const read = await api(server!, 'GET', 'secret/db', { token: rootToken });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.data.user, 'app');
  });

  test('wrong key stays sealed', async () => {
    await server!.close();
    const otherKey = join(directory, 'other.key');
    await writeFile(otherKey, randomBytes(32).toString('hex'), { mode: 0o600 });

    await start(otherKey);
    const failures = (): Array<Record<string, any>> => server!.logLines.filter((line) => line.msg === 'auto-unseal failed; retrying');
    await waitUntil(async () => failures().length >= 2, 'two auto-unseal failures');
    assert.equal(await isSealed(), true);
    assert.equal(
      failures()[0].err.message,
      `the ${PLUGIN} seal could not decrypt the wrapped root key: seal plugin "${PLUGIN}" failed Decrypt: Unsupported state or unable to authenticate data`,
    );
    const log = JSON.stringify(server!.logLines);
    assert.equal(log.includes(keyHex), false, 'the seal key never reaches the log');
  });

  test('client round-trips blobs and survives a crash', async () => {
    const settings = { plugin_sha256: sha256, key_file: join(directory, 'seal.key'), key_id: 'k1' };
    const seal = await ExternalSeal.open(PLUGIN, settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, silentLogger);
    try {
      assert.equal(seal.type, PLUGIN);
      assert.equal(await seal.keyId(), 'k1');
      const plaintext = Buffer.from('root key bytes');
      const aad = Buffer.from('core/seal');
      const blob = await seal.encrypt(plaintext, aad);
      assert.equal(blob.keyInfo.keyId, 'k1');
      assert.equal(blob.iv.length, 12);
      assert.equal(blob.hmac, undefined, 'an empty hmac on the wire is an absent one');
      assert.equal(blob.keyInfo.wrappedKey, undefined);
      assert.deepEqual(plaintext, Buffer.from('root key bytes'), 'the caller\'s buffer is left alone');
      assert.deepEqual(await seal.decrypt(blob, aad), plaintext);
      await assert.rejects(seal.decrypt(blob, Buffer.from('other use')), {
        message: `seal plugin "${PLUGIN}" failed Decrypt: Unsupported state or unable to authenticate data`,
      });
      await assert.rejects(seal.decrypt({ ...blob, keyInfo: { ...blob.keyInfo, keyId: 'k0' } }, aad), {
        message: `seal plugin "${PLUGIN}" failed Decrypt: the blob was encrypted with key "k0", but this seal has key "k1"`,
      });

      const firstPid = seal.pid!;
      process.kill(firstPid, 'SIGKILL');
      assert.equal(await waitForExit(firstPid), true);
      assert.deepEqual(await decryptWithRetry(seal, blob, aad), plaintext);
      assert.notEqual(seal.pid, firstPid);
    } finally {
      await seal.close();
    }
  });

  test('unknown setting stops start-up', async () => {
    await server!.close();
    server = undefined;
    const pidFile = join(directory, 'picky.pid');
    const hash = await writeScript(pluginDirectory, 'picky', `echo $$ > '${pidFile}'\nexec '${process.execPath}' '${TEST_PLUGINS.seal}'`);
    const picky = `seal "picky" {\n  plugin_sha256 = "${hash}"\n  key_file = "${join(directory, 'seal.key')}"\n  region = "eu"\n}`;
    await assert.rejects(startConfiguredPluginServer(directory, `plugin_directory = "${pluginDirectory}"\n${picky}`), {
      message: 'seal "picky": the plugin\'s Create call failed: unknown setting "region"; known settings: key_file, key_id',
    });
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'no plugin process is left behind');
  });

  test('storage failure stops the seal plugin', async () => {
    const pidFile = join(directory, 'sealed-first.pid');
    const hash = await writeScript(pluginDirectory, 'sealfirst', `echo $$ > '${pidFile}'\nexec '${process.execPath}' '${TEST_PLUGINS.seal}'`);
    const stanzas = [
      `plugin_directory = "${pluginDirectory}"`,
      `seal "sealfirst" {\n  plugin_sha256 = "${hash}"\n  key_file = "${join(directory, 'seal.key')}"\n}`,
      'storage "nosuch" {}',
    ].join('\n');
    await assert.rejects(startConfiguredPluginServer(directory, stanzas), { message: /^unknown storage type "nosuch": use one of / });
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'the seal plugin does not outlive the failed start');
  });
});
