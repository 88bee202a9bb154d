import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('secrets', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  /** Reads one mount's entry from `secrets list -format=json`. */
  async function mountEntry(path: string): Promise<Record<string, any> | undefined> {
    const listed = await runCli(['secrets', 'list', '-format=json'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout)[path];
  }

  test('enable with options and list', async () => {
    const enabled = await runCli(['secrets', 'enable', '-path=team', '-description=Team secrets', '-version=2', 'kv'], { env: server.env });
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled the kv secrets engine at: team/\n', stderr: '' });

    const listed = await runCli(['secrets', 'list'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^Path +Type +Accessor +Description$/);
    assert.match(lines[1], /^-{4} +-{4} +-{8} +-{11}$/);
    assert.ok(lines.some((line) => /^team\/ +kv +kv_\S+ +Team secrets$/.test(line)), listed.stdout);
    assert.ok(lines.some((line) => /^secret\/ +kv +kv_\S+ +/.test(line)), listed.stdout);

    const entry = await mountEntry('team/');
    assert.equal(entry?.type, 'kv');
    assert.deepEqual(entry?.options, { version: '2' });
  });

  test('enable kv-v2 type', async () => {
    const enabled = await runCli(['secrets', 'enable', 'kv-v2'], { env: server.env });
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled the kv-v2 secrets engine at: kv-v2/\n', stderr: '' });
    assert.equal((await mountEntry('kv-v2/'))?.options?.version, '2');
  });

  test('enable with lease TTLs', async () => {
    const enabled = await runCli(['secrets', 'enable', '-path=ttl', '-default-lease-ttl=1h', '-max-lease-ttl=2h', '-options=version=1', 'kv'], { env: server.env });
    assert.equal(enabled.code, 0, enabled.stderr);
    const entry = await mountEntry('ttl/');
    assert.equal(entry?.config?.default_lease_ttl, 3600);
    assert.equal(entry?.config?.max_lease_ttl, 7200);
  });

  test('enable twice exits 2', async () => {
    await runCli(['secrets', 'enable', '-path=twice', 'kv'], { env: server.env });
    const again = await runCli(['secrets', 'enable', '-path=twice', 'kv'], { env: server.env });
    assert.equal(again.code, 2);
    assert.ok(again.stderr.startsWith(`Error enabling: Error making API request.\n\nURL: POST ${server.address}/v1/sys/mounts/twice/\nCode: 400.`), again.stderr);
  });

  test('detailed list has all columns', async () => {
    const listed = await runCli(['secrets', 'list', '-detailed'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout.split('\n')[0], /^Path +Plugin +Accessor +Default TTL +Max TTL +Force No Cache +Replication +Seal Wrap +External Entropy Access +Options +Description +UUID +Version +Running Version +Running SHA256 +Deprecation Status$/);
    assert.ok(listed.stdout.split('\n').some((line) => /^secret\/ +kv +kv_\S+ +system +system +false +replicated +false +false +map\[version:2\] /.test(line)), listed.stdout);
  });

  test('tune changes TTL and description', async () => {
    await runCli(['secrets', 'enable', '-path=tuned', 'kv'], { env: server.env });
    const tuned = await runCli(['secrets', 'tune', '-default-lease-ttl=30m', '-description=Tuned', 'tuned'], { env: server.env });
    assert.deepEqual(tuned, { code: 0, stdout: 'Success! Tuned the secrets engine at: tuned/\n', stderr: '' });
    const entry = await mountEntry('tuned/');
    assert.equal(entry?.config?.default_lease_ttl, 1800);
    assert.equal(entry?.description, 'Tuned');
  });

  test('enable with listing and header settings', async () => {
    const enabled = await runCli(
      [
        'secrets', 'enable', '-path=visible', '-listing-visibility=unauth', '-audit-non-hmac-request-keys=a,b',
        '-audit-non-hmac-response-keys=c', '-passthrough-request-headers=X-Team', '-allowed-response-headers=X-Trace', 'kv',
      ],
      { env: server.env },
    );
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled the kv secrets engine at: visible/\n', stderr: '' });
    const read = await runCli(['read', '-format=json', 'sys/mounts/visible/tune'], { env: server.env });
    assert.equal(read.code, 0, read.stderr);
    const data = JSON.parse(read.stdout).data;
    assert.equal(data.listing_visibility, 'unauth');
    assert.deepEqual(data.audit_non_hmac_request_keys, ['a', 'b']);
    assert.deepEqual(data.audit_non_hmac_response_keys, ['c']);
    assert.deepEqual(data.passthrough_request_headers, ['X-Team']);
    assert.deepEqual(data.allowed_response_headers, ['X-Trace']);
  });

  test('tune resets TTL with -1', async () => {
    await runCli(['secrets', 'enable', '-path=reset', '-default-lease-ttl=1h', '-max-lease-ttl=2h', 'kv'], { env: server.env });
    const tuned = await runCli(['secrets', 'tune', '-default-lease-ttl=-1', '-max-lease-ttl=0', '-listing-visibility=unauth', 'reset'], { env: server.env });
    assert.deepEqual(tuned, { code: 0, stdout: 'Success! Tuned the secrets engine at: reset/\n', stderr: '' });
    const entry = await mountEntry('reset/');
    assert.equal(entry?.config?.default_lease_ttl, 0);
    assert.equal(entry?.config?.max_lease_ttl, 7200);
    const read = await runCli(['read', '-field=listing_visibility', 'sys/mounts/reset/tune'], { env: server.env });
    assert.deepEqual(read, { code: 0, stdout: 'unauth', stderr: '' });
  });

  test('tune bad duration exits 1', async () => {
    const tuned = await runCli(['secrets', 'tune', '-max-lease-ttl=forever', 'tuned'], { env: server.env });
    assert.deepEqual(tuned, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "forever" for flag -max-lease-ttl: expected a duration such as 30s, 15m, 24h or a number of seconds\n',
    });
  });

  test('move keeps data', async () => {
    await runCli(['secrets', 'enable', '-path=old', '-version=1', 'kv'], { env: server.env });
    await runCli(['kv', 'put', 'old/app', 'a=1'], { env: server.env });
    const moved = await runCli(['secrets', 'move', 'old', 'new/'], { env: server.env });
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /^Started moving secrets engine old\/ to new\/, with migration ID (\S+)\nSuccess! Finished moving secrets engine old\/ to new\/, with migration ID \1\n$/);
    const read = await runCli(['kv', 'get', '-field=a', 'new/app'], { env: server.env });
    assert.deepEqual(read, { code: 0, stdout: '1', stderr: '' });
  });

  test('disable removes mount', async () => {
    await runCli(['secrets', 'enable', '-path=gone', 'kv'], { env: server.env });
    const disabled = await runCli(['secrets', 'disable', 'gone'], { env: server.env });
    assert.deepEqual(disabled, { code: 0, stdout: 'Success! Disabled the secrets engine (if it existed) at: gone/\n', stderr: '' });
    assert.equal(await mountEntry('gone/'), undefined);
  });

  test('enable without type exits 1', async () => {
    const enabled = await runCli(['secrets', 'enable'], { env: server.env });
    assert.deepEqual(enabled, { code: 1, stdout: '', stderr: 'Not enough arguments (expected 1, got 0)\n' });
  });

  test('bad option exits 1', async () => {
    const enabled = await runCli(['secrets', 'enable', '-options=version', 'kv'], { env: server.env });
    assert.deepEqual(enabled, { code: 1, stdout: '', stderr: 'invalid value "version" for flag -options: expected key=value, such as -options=version=2\n' });
  });
});
