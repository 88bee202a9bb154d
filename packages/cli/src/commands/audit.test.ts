import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Recorder } from '../test-recorder.js';
import { startRecorder } from '../test-recorder.js';
import { makeTempDir, runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('audit', () => {
  let server: TestServer;
  let logDir: { path: string; remove(): Promise<void> };

  before(async () => {
    server = await startDevServer();
    logDir = await makeTempDir('coffer-cli-audit-');
  });

  after(async () => {
    // The server closes first, so no request is left writing to a log that is being removed.
    await server.close();
    await logDir.remove();
  });

  test('list with none exits 2', async () => {
    const listed = await runCli(['audit', 'list'], { env: server.env });
    assert.deepEqual(listed, { code: 2, stdout: 'No audit devices are enabled.\n', stderr: '' });

    const json = await runCli(['audit', 'list', '-format=json'], { env: server.env });
    assert.deepEqual(json, { code: 0, stdout: '{}\n', stderr: '' });
  });

  test('enable file, list and log', async () => {
    const logPath = join(logDir.path, 'audit.log');
    const enabled = await runCli(['audit', 'enable', '-path=main-log', '-description=Main log', 'file', `file_path=${logPath}`], { env: server.env });
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled the file audit device at: main-log/\n', stderr: '' });

    const listed = await runCli(['audit', 'list'], { env: server.env });
    assert.deepEqual(listed, {
      code: 0,
      stdout: 'Path         Type    Description\n----         ----    -----------\nmain-log/    file    Main log\n',
      stderr: '',
    });

    const detailed = await runCli(['audit', 'list', '-detailed'], { env: server.env });
    assert.deepEqual(detailed, {
      code: 0,
      stdout:
        'Path         Type    Description    Replication    Options\n' +
        '----         ----    -----------    -----------    -------\n' +
        `main-log/    file    Main log       replicated     file_path=${logPath}\n`,
      stderr: '',
    });

    const json = await runCli(['audit', 'list', '-format=json'], { env: server.env });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      'main-log/': { description: 'Main log', local: false, options: { file_path: logPath }, path: 'main-log/', type: 'file' },
    });

    // The list requests after the enable went through the device.
    const lines = (await readFile(logPath, 'utf8')).trimEnd().split('\n');
    const entries = lines.map((line) => JSON.parse(line));
    assert.ok(entries.some((entry) => entry.type === 'request' && entry.request?.path === 'sys/audit'), lines.join('\n'));

    const disabled = await runCli(['audit', 'disable', 'main-log'], { env: server.env });
    assert.deepEqual(disabled, { code: 0, stdout: 'Success! Disabled audit device (if it was enabled) at: main-log/\n', stderr: '' });
    const after = await runCli(['audit', 'list'], { env: server.env });
    assert.equal(after.code, 2);
  });

  test('enable unknown type exits 2', async () => {
    const enabled = await runCli(['audit', 'enable', 'tape'], { env: server.env });
    assert.deepEqual(enabled, {
      code: 2,
      stdout: '',
      stderr:
        `Error enabling audit device: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/audit/tape/\n` +
        'Code: 400. Errors:\n\n* unknown audit device type "tape": use one of file, socket, syslog, or register an audit plugin of that name in the plugin catalog\n',
    });
  });

  test('enable without type exits 1', async () => {
    const enabled = await runCli(['audit', 'enable'], { env: server.env });
    assert.deepEqual(enabled, {
      code: 1,
      stdout: '',
      stderr: 'Error enabling audit device: the audit type is missing; use "file", "socket" or "syslog"\n',
    });
  });

  test('enable bad option exits 1', async () => {
    const enabled = await runCli(['audit', 'enable', 'file', 'file_path'], { env: server.env });
    assert.deepEqual(enabled, {
      code: 1,
      stdout: '',
      stderr: 'Failed to parse K=V data: invalid argument "file_path": expected key=value, key=@file, key=-, or a lone @file or - for a JSON object\n',
    });
  });

  test('disable without path exits 1', async () => {
    const disabled = await runCli(['audit', 'disable'], { env: server.env });
    assert.deepEqual(disabled, { code: 1, stdout: '', stderr: 'Not enough arguments (expected 1, got 0)\n' });
  });

  test('list without token exits 2', async () => {
    const listed = await runCli(['audit', 'list'], { env: { COFFER_ADDR: server.address, HOME: server.home } });
    assert.deepEqual(listed, {
      code: 2,
      stdout: '',
      stderr: `Error listing audits: Error making API request.\n\nURL: GET ${server.address}/v1/sys/audit\nCode: 403. Errors:\n\n* permission denied\n`,
    });
  });
});

describe('audit requests', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(() => ({}));
  });

  after(async () => {
    await recorder.close();
  });

  test('enable sends options and local', async () => {
    const enabled = await runCli(['audit', 'enable', '-local', 'socket', 'address=127.0.0.1:9090', 'socket_type=tcp'], { env: recorder.env });
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled the socket audit device at: socket/\n', stderr: '' });
    assert.equal(recorder.requests.length, 1);
    assert.equal(recorder.requests[0].method, 'PUT');
    assert.equal(recorder.requests[0].path, '/v1/sys/audit/socket/');
    assert.deepEqual(recorder.requests[0].body, {
      type: 'socket',
      description: '',
      options: { address: '127.0.0.1:9090', socket_type: 'tcp' },
      local: true,
    });
  });

  test('disable sends delete', async () => {
    const disabled = await runCli(['audit', 'disable', '/socket/'], { env: recorder.env });
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(recorder.requests[0].method, 'DELETE');
    assert.equal(recorder.requests[0].path, '/v1/sys/audit/socket/');
  });
});
