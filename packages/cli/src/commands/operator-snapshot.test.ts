import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('operator snapshot', () => {
  let server: TestServer;
  let file: string;

  before(async () => {
    server = await startDevServer();
    file = join(server.home, 'coffer.snap');
  });
  after(async () => {
    await server.close();
  });

  test('save then restore rolls back', async () => {
    assert.equal((await runCli(['kv', 'put', 'secret/app', 'password=before'], { env: server.env })).code, 0);

    const saved = await runCli(['operator', 'snapshot', 'save', file], { env: server.env });
    assert.equal(saved.code, 0, saved.stderr);
    const size = (await stat(file)).size;
    assert.equal(saved.stdout, `Success! Saved a snapshot of ${size} bytes to "${file}".\n`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    assert.equal((await runCli(['kv', 'put', 'secret/app', 'password=after'], { env: server.env })).code, 0);
    const restored = await runCli(['operator', 'snapshot', 'restore', file], { env: server.env });
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /^Success! Restored the snapshot\. The server is now sealed/);

    const unseal = await runCli(['operator', 'unseal', server.server.dev!.unsealKey], { env: server.env });
    assert.equal(unseal.code, 0, unseal.stderr);
    const read = await runCli(['kv', 'get', '-field=password', 'secret/app'], { env: server.env });
    assert.deepEqual(read, { code: 0, stdout: 'before', stderr: '' });
  });

  test('damaged file is refused locally', async () => {
    const bytes = await readFile(file);
    const damaged = join(server.home, 'damaged.snap');
    await writeFile(damaged, bytes.subarray(0, bytes.length - 1));
    const result = await runCli(['operator', 'snapshot', 'restore', damaged], { env: server.env });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `invalid snapshot "${damaged}": its SHA-256 checksum does not match, so it is truncated or damaged\n`,
    });
    const missing = await runCli(['operator', 'snapshot', 'restore', join(server.home, 'nope.snap')], { env: server.env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error reading the snapshot ".*nope\.snap": ENOENT/);
  });

  test('save without a token exits 2', async () => {
    const result = await runCli(['operator', 'snapshot', 'save', join(server.home, 'denied.snap')], { env: { ...server.env, COFFER_TOKEN: 'not-a-token' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Error saving the snapshot: Error making API request\.\n\nURL: GET http:\/\/127\.0\.0\.1:\d+\/v1\/sys\/storage\/snapshot\nCode: 403\. Errors:\n\n\* permission denied\n$/);
  });

  test('restore of another cluster needs -force', async () => {
    const other = await startDevServer();
    try {
      const refused = await runCli(['operator', 'snapshot', 'restore', file], { env: other.env });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /snapshot was taken on cluster "[^"]+", but this server is cluster "[^"]+"/);
      const forced = await runCli(['operator', 'snapshot', 'restore', '-force', file], { env: other.env });
      assert.equal(forced.code, 0, forced.stderr);
      // The dev server's own key no longer unseals it; the source's does.
      const wrong = await runCli(['operator', 'unseal', other.server.dev!.unsealKey], { env: other.env });
      assert.equal(wrong.code, 2);
      assert.equal((await runCli(['operator', 'unseal', server.server.dev!.unsealKey], { env: other.env })).code, 0);
      const read = await runCli(['kv', 'get', '-field=password', 'secret/app'], { env: other.env });
      assert.deepEqual(read, { code: 0, stdout: 'before', stderr: '' });
    } finally {
      await other.close();
    }
  });
});
