import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AUDIT_TABLE_PATH } from './table.js';
import { auditFixture, readEntries, sampleInput, type AuditFixture } from './test-support.js';

const VALID_FILE_OPTIONS = 'format, prefix, hmac_accessor, log_raw, elide_list_responses, filter, fallback, exclude, file_path, path, mode';

function body(response: Awaited<ReturnType<AuditFixture['call']>>): any {
  assert.ok(response?.raw !== undefined, 'expected a raw JSON body');
  return JSON.parse(response.raw.body.toString());
}

describe('sys/audit', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-paths-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('enable, list and disable a file device', async () => {
    const fixture = await auditFixture();
    const path = join(scratch, 'lifecycle', 'audit.log');
    const enabled = await fixture.call('update', 'audit/file', { type: 'file', description: 'main log', options: { file_path: path, hmac_accessor: false }, local: true });
    assert.equal(enabled, null);

    const listing = body(await fixture.call('read', 'audit'));
    const expected = { description: 'main log', local: true, options: { file_path: path, hmac_accessor: 'false' }, path: 'file/', type: 'file' };
    assert.deepEqual(listing.data, { 'file/': expected });
    assert.deepEqual(listing['file/'], expected);

    assert.equal(await fixture.call('delete', 'audit/file'), null);
    assert.deepEqual(body(await fixture.call('read', 'audit/')).data, {});
    assert.equal(await fixture.call('delete', 'audit/file'), null, 'disabling a missing device is not an error');
  });

  test('audit-hash matches the log', async () => {
    const fixture = await auditFixture();
    const path = join(scratch, 'hash', 'audit.log');
    await fixture.call('update', 'audit/hashed', { type: 'file', options: { file_path: path } });
    await fixture.broker.logRequest(sampleInput());
    const [entry] = await readEntries(path);

    const token = await fixture.call('update', 'audit-hash/hashed', { input: 'hvs.caller-token-value' });
    assert.deepEqual(token, { data: { hash: entry.request.client_token } });
    const secret = await fixture.call('update', 'audit-hash/hashed/', { input: 'deep-secret-key' });
    assert.deepEqual(secret, { data: { hash: entry.request.data.data.nested.apiKey } });
    await fixture.broker.teardown();
  });

  test('audit-hash rejects empty input and unknown devices', async () => {
    const fixture = await auditFixture();
    await fixture.call('update', 'audit/discarded', { type: 'file', options: { file_path: 'discard' } });
    await assert.rejects(fixture.call('update', 'audit-hash/discarded', { input: '' }), { status: 400, message: 'the "input" parameter is empty' });
    await assert.rejects(fixture.call('update', 'audit-hash/nope', { input: 'x' }), { status: 400, message: 'no audit device is enabled at "nope/"' });
  });

  test('unknown enable fields become a warning', async () => {
    const fixture = await auditFixture();
    const response = await fixture.call('update', 'audit/named', { type: 'file', name: 'named', options: { file_path: join(scratch, 'named.log') } });
    assert.deepEqual(response, { warnings: ['Endpoint ignored these unrecognized parameters: [name]'] });
    const listed = body(await fixture.call('read', 'audit'));
    assert.equal(listed.data['named/'].type, 'file');
    await fixture.broker.teardown();
  });

  test('invalid enable requests change nothing', async () => {
    const fixture = await auditFixture();
    const folder = join(scratch, 'invalid');
    const kept = join(folder, 'kept.log');
    await fixture.call('update', 'audit/kept', { type: 'file', options: { file_path: kept } });
    const tableBefore = (await fixture.barrier.get(AUDIT_TABLE_PATH))!.value.toString();
    const saltsBefore = await fixture.barrier.list('audit/');
    const file = join(folder, 'new.log');

    const cases: [string, Record<string, unknown>, string][] = [
      ['audit/new', {}, 'missing required field "type"'],
      ['audit/new', { type: 'nope' }, 'unknown audit device type "nope": use one of file, socket, syslog'],
      ['audit/new', { type: 'file', options: { file_path: file, colour: 'red' } }, `unknown option "colour" for audit device type "file"; valid options: ${VALID_FILE_OPTIONS}`],
      ['audit/new', { type: 'file', options: { file_path: file, format: 'xml' } }, 'invalid option "format" "xml": use "json" or "jsonx"'],
      ['audit/new', { type: 'file', options: { file_path: file, log_raw: 'maybe' } }, 'invalid option "log_raw" "maybe": expected "true" or "false"'],
      ['audit/new', { type: 'file', options: { file_path: file, mode: '0777' } }, 'cannot enable audit device at "new/": invalid option "mode" "0777": an audit file must not be executable; use a mode such as "0600"'],
      ['audit/new', { type: 'file', options: {} }, 'cannot enable audit device at "new/": missing required option "file_path"'],
      ['audit/new', { type: 'file', options: { file_path: { nested: true } } }, 'invalid "options.file_path": expected a string'],
      ['audit/new', { type: 'file', options: 'not a map' }, 'invalid field "options": expected an object, got "not a map"'],
      // An unknown top-level field is ignored with a warning, as in Vault, so the enable still needs its options.
      ['audit/new', { type: 'file', colour: 'red' }, 'cannot enable audit device at "new/": missing required option "file_path"'],
      ['audit/kept', { type: 'file', options: { file_path: file } }, 'path is already in use at kept/'],
      ['audit/kept/inner', { type: 'file', options: { file_path: file } }, 'path is already in use at kept/'],
      ['audit/./x', { type: 'file', options: { file_path: file } }, 'invalid audit device path "./x": it contains an empty, "." or ".." segment'],
      ['audit/new', { type: 'socket', options: { address: 'nowhere' } }, 'cannot enable audit device at "new/": invalid option "address" "nowhere": expected host:port, such as "127.0.0.1:9090"'],
      ['audit/new', { type: 'syslog', options: { socket_path: join(folder, 'no-daemon.sock') } }, `cannot enable audit device at "new/": failed to connect to syslog socket "${join(folder, 'no-daemon.sock')}": connect ENOENT; start the syslog daemon or set "socket_path"`],
      ['audit/new', { type: 'syslog', options: { facility: 'bogus', file_path: file } }, `unknown option "file_path" for audit device type "syslog"; valid options: format, prefix, hmac_accessor, log_raw, elide_list_responses, filter, fallback, exclude, facility, tag, socket_path`],
    ];
    for (const [path, data, message] of cases) {
      await assert.rejects(fixture.call('update', path, data), { status: 400, message }, `${path} ${JSON.stringify(data)}`);
    }
    await assert.rejects(fixture.call('delete', 'audit/kept/../x'), { status: 400, message: 'invalid audit device path "kept/../x": it contains an empty, "." or ".." segment' });
    assert.equal(await fixture.call('delete', 'audit/kep'), null, 'a prefix of an enabled path disables nothing');

    assert.deepEqual(fixture.broker.list().map((entry) => entry.path), ['kept/']);
    assert.equal((await fixture.barrier.get(AUDIT_TABLE_PATH))!.value.toString(), tableBefore);
    assert.deepEqual(await fixture.barrier.list('audit/'), saltsBefore);
    assert.deepEqual(await readdir(folder), ['kept.log']);
    await fixture.broker.teardown();
  });

  test('unsupported operations are rejected', async () => {
    const fixture = await auditFixture();
    await assert.rejects(fixture.call('read', 'audit/file'), { status: 405, message: 'read operation not supported on path "audit/file"' });
    await assert.rejects(fixture.call('read', 'audit-hash/file'), { status: 405, message: 'read operation not supported on path "audit-hash/file"' });
  });
});
