import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { ExternalSeal } from './seal-client.js';
import { ExternalStorage } from './storage-client.js';
import { makeTemporaryDirectory, removeDirectory, TEST_PLUGINS, TEST_START_TIMEOUT_MS, waitForExit, waitForExitHandled, writeScript } from './test-support.js';

/** Restarts allowed within the window, as for secrets, auth and audit plugins. */
const MAX_RESTARTS = 5;

/** Builds a logger that keeps the fields and message of each line, as the server's JSON log would. */
function recordingLogger(lines: Record<string, unknown>[], bindings: object = {}): Logger {
  const record = (fields: object, msg: string) => lines.push({ ...bindings, ...fields, msg });
  return { trace: record, debug: record, info: record, warn: record, error: record, child: (more) => recordingLogger(lines, { ...bindings, ...more }) };
}

async function countLines(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').length;
}

/**
 * Crashed seal and storage plugin processes. Each launcher appends a line to
 * a file at every launch, and exits at once while a `broken` file exists, so
 * a test can make every restart fail and count the attempts.
 */
describe('seal and storage plugin restarts', () => {
  let directory: string;
  let pluginDirectory: string;
  let broken: string;
  let launches: string;

  /** Writes a launcher of test plugin `plugin` under `name` and returns its SHA-256. */
  function writeLauncher(name: string, plugin: 'storage' | 'seal'): Promise<string> {
    const body = `echo start >> '${launches}'\nif [ -e '${broken}' ]; then echo 'broken on purpose' >&2; exit 3; fi\nexec '${process.execPath}' '${TEST_PLUGINS[plugin]}' "$@"`;
    return writeScript(pluginDirectory, name, body);
  }

  before(async () => {
    directory = await makeTemporaryDirectory('coffer-config-restart-');
    pluginDirectory = join(directory, 'plugins');
    await mkdir(pluginDirectory);
    broken = join(directory, 'broken');
    launches = join(directory, 'launches');
  });
  after(async () => {
    await removeDirectory(directory);
  });

  test('storage restarts on next operation', async () => {
    const lines: Record<string, unknown>[] = [];
    const sha256 = await writeLauncher('restartstore', 'storage');
    const settings = { plugin_sha256: sha256, path: join(directory, 'next.db') };
    const storage = await ExternalStorage.open('restartstore', settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, recordingLogger(lines));
    try {
      await storage.put({ key: 'kept', value: Buffer.from('before') });
      const firstPid = storage.pid!;

      process.kill(firstPid, 'SIGKILL');
      assert.equal(await waitForExit(firstPid), true);
      assert.equal(await waitForExitHandled({ logLines: lines }, firstPid), true);

      assert.deepEqual(await storage.get('kept'), { key: 'kept', value: Buffer.from('before') });
      assert.notEqual(storage.pid, undefined);
      assert.notEqual(storage.pid, firstPid);
      assert.equal(lines.filter((line) => line.msg === 'plugin restarted').length, 1);
    } finally {
      await storage.close();
    }
  });

  test('failed restart is tried again', async () => {
    await rm(launches, { force: true });
    const sha256 = await writeLauncher('retrystore', 'storage');
    const lines: Record<string, unknown>[] = [];
    const settings = { plugin_sha256: sha256, path: join(directory, 'retry.db') };
    const storage = await ExternalStorage.open('retrystore', settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, recordingLogger(lines));
    try {
      await storage.put({ key: 'kept', value: Buffer.from('before') });
      const firstPid = storage.pid!;
      await writeFile(broken, '');
      process.kill(firstPid, 'SIGKILL');
      assert.equal(await waitForExitHandled({ logLines: lines }, firstPid), true);

      await assert.rejects(storage.get('kept'), {
        message: /^storage plugin "retrystore" is not running and could not be restarted: .+; the next request tries again$/,
      });
      await rm(broken);
      assert.deepEqual(await storage.get('kept'), { key: 'kept', value: Buffer.from('before') });
      assert.equal(await countLines(launches), 3);
    } finally {
      await rm(broken, { force: true });
      await storage.close();
    }
  });

  test('crash loop stops at the limit', async () => {
    await rm(launches, { force: true });
    const sha256 = await writeLauncher('loopstore', 'storage');
    const lines: Record<string, unknown>[] = [];
    const settings = { plugin_sha256: sha256, path: join(directory, 'loop.db') };
    const storage = await ExternalStorage.open('loopstore', settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, recordingLogger(lines));
    try {
      const firstPid = storage.pid!;
      await writeFile(broken, '');
      process.kill(firstPid, 'SIGKILL');
      assert.equal(await waitForExitHandled({ logLines: lines }, firstPid), true);

      for (let attempt = 1; attempt <= MAX_RESTARTS; attempt += 1) {
        await assert.rejects(storage.get('any'), { message: /^storage plugin "loopstore" is not running and could not be restarted: / }, `attempt ${attempt}`);
      }
      await assert.rejects(storage.get('any'), (err: Error & { status?: number }) => {
        assert.equal(err.status, 500);
        assert.match(
          err.message,
          /^storage plugin "loopstore" is not running \(the last restart failed: .+\) and was restarted 5 times within 60 s; it is not tried again before \d{4}-\d\d-\d\dT[\d:.]+Z; to start it sooner, fix the plugin, then restart the server$/,
        );
        return true;
      });
      // One launch at open and one per allowed restart; nothing runs in the background.
      assert.equal(await countLines(launches), 1 + MAX_RESTARTS);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await countLines(launches), 1 + MAX_RESTARTS);
      assert.equal(storage.pid, undefined);
    } finally {
      await rm(broken, { force: true });
      await storage.close();
    }
  });

  test('seal restarts on next operation', async () => {
    await rm(launches, { force: true });
    const sha256 = await writeLauncher('restartseal', 'seal');
    const keyFile = join(directory, 'seal.key');
    await writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const lines: Record<string, unknown>[] = [];
    const settings = { plugin_sha256: sha256, key_file: keyFile };
    const seal = await ExternalSeal.open('restartseal', settings, { pluginDirectory, startTimeoutMs: TEST_START_TIMEOUT_MS }, recordingLogger(lines));
    try {
      const aad = Buffer.from('core/seal');
      const blob = await seal.encrypt(Buffer.from('root key bytes'), aad);

      const firstPid = seal.pid!;
      await writeFile(broken, '');
      process.kill(firstPid, 'SIGKILL');
      assert.equal(await waitForExitHandled({ logLines: lines }, firstPid), true);
      await assert.rejects(seal.decrypt(blob, aad), { message: /^seal plugin "restartseal" is not running and could not be restarted: .+; the next request tries again$/ });

      await rm(broken);
      assert.deepEqual(await seal.decrypt(blob, aad), Buffer.from('root key bytes'));
      assert.notEqual(seal.pid, firstPid);
      assert.equal(await countLines(launches), 3);
    } finally {
      await rm(broken, { force: true });
      await seal.close();
    }
  });
});
