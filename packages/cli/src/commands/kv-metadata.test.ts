import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

function maskTimes(text: string): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<time>');
}

describe('kv metadata', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
    const enabled = await runCli(['secrets', 'enable', '-path=kv1', '-version=1', 'kv'], { env: server.env });
    assert.equal(enabled.code, 0, enabled.stderr);
  });

  after(async () => {
    await server.close();
  });

  test('get prints metadata and versions', async () => {
    await runCli(['kv', 'put', 'secret/meta', 'a=1'], { env: server.env });
    await runCli(['kv', 'put', 'secret/meta', 'a=2'], { env: server.env });
    const metadata = await runCli(['kv', 'metadata', 'get', 'secret/meta'], { env: server.env });
    assert.equal(metadata.code, 0, metadata.stderr);
    assert.equal(
      maskTimes(metadata.stdout),
      [
        '=== Metadata Path ===',
        'secret/metadata/meta',
        '',
        '========== Metadata ==========',
        'Key                     Value',
        '---                     -----',
        'cas_required            false',
        'created_time            <time>',
        'current_version         2',
        'custom_metadata         <nil>',
        'delete_version_after    0s',
        'max_versions            0',
        'oldest_version          0',
        'updated_time            <time>',
        '',
        '====== Version 1 ======',
        'Key              Value',
        '---              -----',
        'created_time     <time>',
        'deletion_time    n/a',
        'destroyed        false',
        '',
        '====== Version 2 ======',
        'Key              Value',
        '---              -----',
        'created_time     <time>',
        'deletion_time    n/a',
        'destroyed        false',
        '',
      ].join('\n'),
    );
  });

  test('put settings then read them back', async () => {
    await runCli(['kv', 'put', 'secret/settings', 'a=1'], { env: server.env });
    const put = await runCli(
      [
        'kv', 'metadata', 'put', '-max-versions=5', '-cas-required', '-delete-version-after=1h',
        '-custom-metadata=owner=ops', '-custom-metadata=team=core', 'secret/settings',
      ],
      { env: server.env },
    );
    assert.deepEqual(put, { code: 0, stdout: 'Success! Data written to: secret/metadata/settings\n', stderr: '' });

    const json = await runCli(['kv', 'metadata', 'get', '-format=json', 'secret/settings'], { env: server.env });
    const data = JSON.parse(json.stdout).data;
    assert.equal(data.max_versions, 5);
    assert.equal(data.cas_required, true);
    assert.equal(data.delete_version_after, '1h0m0s');
    assert.deepEqual(data.custom_metadata, { owner: 'ops', team: 'core' });

    const field = await runCli(['kv', 'metadata', 'get', '-field=max_versions', '-mount=secret', 'settings'], { env: server.env });
    assert.deepEqual(field, { code: 0, stdout: '5', stderr: '' });
  });

  test('delete removes all versions', async () => {
    await runCli(['kv', 'put', 'secret/erase', 'a=1'], { env: server.env });
    const deleted = await runCli(['kv', 'metadata', 'delete', 'secret/erase'], { env: server.env });
    assert.deepEqual(deleted, { code: 0, stdout: 'Success! Data deleted (if it existed) at: secret/metadata/erase\n', stderr: '' });
    const get = await runCli(['kv', 'metadata', 'get', 'secret/erase'], { env: server.env });
    assert.deepEqual(get, { code: 2, stdout: '', stderr: 'No value found at secret/metadata/erase\n' });
  });

  test('v1 mount exits 1', async () => {
    for (const subcommand of ['get', 'put', 'delete']) {
      const result = await runCli(['kv', 'metadata', subcommand, 'kv1/a'], { env: server.env });
      assert.deepEqual(result, { code: 1, stdout: '', stderr: 'Metadata not supported on KV Version 1\n' }, subcommand);
    }
  });

  test('bad custom metadata exits 1', async () => {
    const put = await runCli(['kv', 'metadata', 'put', '-custom-metadata=owner', 'secret/x'], { env: server.env });
    assert.deepEqual(put, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "owner" for flag -custom-metadata: expected key=value, such as -custom-metadata=version=2\n',
    });
  });
});
