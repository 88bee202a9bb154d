import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api } from '../testing/api-client.js';
import { makeTemporaryDirectory, registerNodePlugin, removeDirectory, startPluginTestServer, waitForExit, waitForExitHandled, type PluginTestServer } from './test-support.js';

async function readLog(path: string): Promise<any[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('external audit plugins', () => {
  let server: PluginTestServer;
  let scratch: string;
  let logPath: string;
  let sha256: string;
  const call = (method: string, path: string, body?: unknown) => api(server, method, path, { token: server.token, body });

  before(async () => {
    server = await startPluginTestServer();
    scratch = await makeTemporaryDirectory('coffer-audit-plugin-');
    logPath = join(scratch, 'audit.log');
    sha256 = await registerNodePlugin(server, 'audit', 'appendlog', 'audit');
  });
  after(async () => {
    await server.close();
    await removeDirectory(scratch);
  });

  test('catalog lists audit plugins', async () => {
    const listed = await call('LIST', 'sys/plugins/catalog/audit');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.keys, ['appendlog', 'file', 'socket', 'syslog']);
    const read = await call('GET', 'sys/plugins/catalog/audit/appendlog');
    assert.deepEqual(read.body.data, { name: 'appendlog', type: 'audit', command: 'appendlog', args: [], sha256, version: '', builtin: false });
  });

  test('plugin rejects an unknown option', async () => {
    const rejected = await call('PUT', 'sys/audit/bad', { type: 'appendlog', options: { file_path: logPath, colour: 'red' } });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, [
      'cannot enable audit device at "bad/": plugin "appendlog" could not open the device: unknown option "colour"; valid options: format, prefix, hmac_accessor, log_raw, elide_list_responses, filter, fallback, exclude, file_path',
    ]);
    assert.deepEqual(server.core.audit.list(), []);
    assert.deepEqual(server.core.plugins.supervisor.pids('appendlog'), []);
  });

  test('entries reach the file with HMACs', async () => {
    const enabled = await call('PUT', 'sys/audit/ext', { type: 'appendlog', options: { file_path: logPath } });
    assert.equal(enabled.status, 204, JSON.stringify(enabled.body));
    const devices = await call('GET', 'sys/audit');
    assert.deepEqual(devices.body.data['ext/'], { description: '', local: false, options: { file_path: logPath }, path: 'ext/', type: 'appendlog' });
    assert.equal(server.core.plugins.supervisor.pids('appendlog').length, 1);

    const written = await call('PUT', 'secret/data/app', { data: { password: 'plugin-audit-secret' } });
    assert.equal(written.status, 200, JSON.stringify(written.body));

    const passwordHash = (await call('PUT', 'sys/audit-hash/ext', { input: 'plugin-audit-secret' })).body.data.hash as string;
    const tokenHash = (await call('PUT', 'sys/audit-hash/ext', { input: server.token })).body.data.hash as string;
    assert.match(passwordHash, /^hmac-sha256:[0-9a-f]{64}$/);

    const entries = (await readLog(logPath)).filter((entry) => entry.request.path === 'secret/data/app');
    assert.deepEqual(
      entries.map((entry) => entry.type),
      ['request', 'response'],
    );
    const [request, response] = entries;
    assert.equal(request.request.id, response.request.id);
    assert.equal(request.request.operation, 'create');
    assert.deepEqual(request.request.data, { data: { password: passwordHash } });
    assert.equal(request.auth.client_token, tokenHash);
    assert.deepEqual(response.request.data, { data: { password: passwordHash } });
    assert.equal(response.response.data.version, 1);
    assert.equal(response.response.mount_point, 'secret/');
    assert.equal((await readFile(logPath, 'utf8')).includes('plugin-audit-secret'), false, 'the secret never reaches the file in clear');
  });

  test('killed plugin restarts and records again', async () => {
    const [pid] = server.core.plugins.supervisor.pids('appendlog');
    process.kill(pid, 'SIGKILL');
    assert.equal(await waitForExit(pid), true);
    assert.equal(await waitForExitHandled(server, pid), true);
    assert.deepEqual(server.core.plugins.supervisor.pids('appendlog'), [], 'the next entry restarts it');

    const written = await call('PUT', 'secret/data/app', { data: { password: 'after-restart' } });

    assert.equal(written.status, 200, JSON.stringify(written.body));
    const [restarted] = server.core.plugins.supervisor.pids('appendlog');
    assert.notEqual(restarted, undefined);
    assert.notEqual(restarted, pid);
    assert.equal(written.body.data.version, 2);
    const entries = (await readLog(logPath)).filter((entry) => entry.request.path === 'secret/data/app' && entry.response?.data?.version === 2);
    assert.equal(entries.length, 1, 'the device was created again in the new process and wrote the response entry');
  });

  test('plugin that cannot restart fails requests closed', async () => {
    // A changed binary no longer matches its catalog hash, so the restart fails for good.
    await writeFile(join(server.pluginDirectory, 'appendlog'), '#!/bin/sh\nexit 1\n');
    const [pid] = server.core.plugins.supervisor.pids('appendlog');
    process.kill(pid, 'SIGKILL');
    assert.equal(await waitForExit(pid), true);
    assert.equal(await waitForExitHandled(server, pid), true);
    const before = await readFile(logPath, 'utf8');

    const refused = await call('PUT', 'secret/data/app', { data: { password: 'never-stored' } });

    assert.equal(refused.status, 500);
    assert.deepEqual(refused.body.errors, ['failed to audit the request: no enabled audit device recorded it']);
    assert.equal(await readFile(logPath, 'utf8'), before);
    // Every API request is audited and fails, so disable the device through the core.
    assert.equal(await server.core.audit.disable('ext'), true);
    const read = await call('GET', 'secret/data/app');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data.data, { password: 'after-restart' });
    assert.equal(read.body.data.metadata.version, 2);
  });
});
