import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { AuditBroker } from './broker.js';
import { AUDIT_TABLE_PATH } from './table.js';
import { auditFixture, readEntries, sampleInput, unsealedBarrier } from './test-support.js';

const AUDIT_FAILED = { status: 500, code: 'COFFER_ERR_AUDIT_FAILED', message: 'failed to audit the request: no enabled audit device recorded it' };
const SYS_INPUT = { path: 'sys/mounts', operation: 'read' as const, mountPoint: 'sys/', mountType: 'system', data: null };

describe('audit routing', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-routing-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function newBroker(): Promise<AuditBroker> {
    const broker = new AuditBroker(await unsealedBarrier(), silentLogger);
    await broker.setup();
    return broker;
  }

  test('filtered device and fallback split entries', async () => {
    const broker = await newBroker();
    const kvLog = join(scratch, 'split', 'kv.log');
    const restLog = join(scratch, 'split', 'rest.log');
    await broker.enable('kv', 'file', { options: { file_path: kvLog, filter: 'mount_type == "kv"' } });
    await broker.enable('rest', 'file', { options: { file_path: restLog, fallback: 'true' } });

    await broker.logRequest(sampleInput());
    await broker.logRequest(sampleInput(SYS_INPUT));
    await broker.logResponse(sampleInput(SYS_INPUT));
    await broker.teardown();

    const kv = await readEntries(kvLog);
    assert.deepEqual(kv.map((entry) => [entry.type, entry.request.path]), [['request', 'secret/data/app']]);
    const rest = await readEntries(restLog);
    assert.deepEqual(rest.map((entry) => [entry.type, entry.request.path]), [['request', 'sys/mounts'], ['response', 'sys/mounts']]);
  });

  test('unfiltered device keeps fallback empty', async () => {
    const broker = await newBroker();
    const allLog = join(scratch, 'unfiltered', 'all.log');
    const fallbackLog = join(scratch, 'unfiltered', 'fallback.log');
    await broker.enable('all', 'file', { options: { file_path: allLog } });
    await broker.enable('fallback', 'file', { options: { file_path: fallbackLog, fallback: 'true' } });

    await broker.logRequest(sampleInput(SYS_INPUT));
    await broker.teardown();

    assert.equal((await readEntries(allLog)).length, 1);
    assert.equal((await readEntries(fallbackLog)).length, 0);
  });

  test('entry filtered out everywhere is not an error', async () => {
    const broker = await newBroker();
    const kvLog = join(scratch, 'nowhere', 'kv.log');
    await broker.enable('kv', 'file', { options: { file_path: kvLog, filter: 'mount_type == "kv"' } });

    await broker.logRequest(sampleInput(SYS_INPUT));
    await broker.teardown();
    assert.equal((await readEntries(kvLog)).length, 0);
  });

  test('failed filtered device fails closed', async () => {
    const broker = await newBroker();
    const fallbackLog = join(scratch, 'failing', 'fallback.log');
    await broker.enable('full', 'file', { options: { file_path: '/dev/full', filter: 'mount_type == "kv"' } });
    await broker.enable('fallback', 'file', { options: { file_path: fallbackLog, fallback: 'true' } });

    await assert.rejects(broker.logRequest(sampleInput()), AUDIT_FAILED);
    await broker.logRequest(sampleInput(SYS_INPUT));
    await broker.teardown();
    assert.deepEqual((await readEntries(fallbackLog)).map((entry) => entry.request.path), ['sys/mounts']);
  });

  test('exclude removes request data on update', async () => {
    const broker = await newBroker();
    const log = join(scratch, 'exclude', 'audit.log');
    const exclude = JSON.stringify([{ condition: 'operation == "update"', fields: ['/request/data'] }]);
    await broker.enable('file', 'file', { options: { file_path: log, exclude } });

    await broker.logRequest(sampleInput());
    await broker.logRequest(sampleInput({ operation: 'create' }));
    await broker.teardown();

    const [update, create] = await readEntries(log);
    assert.equal(update.request.operation, 'update');
    assert.equal('data' in update.request, false);
    assert.equal(update.request.path, 'secret/data/app');
    assert.equal(create.request.operation, 'create');
    assert.match(create.request.data.data.password, /^hmac-sha256:/);
  });

  test('settings survive a new broker', async () => {
    const barrier = await unsealedBarrier();
    const first = new AuditBroker(barrier, silentLogger);
    await first.setup();
    const kvLog = join(scratch, 'reload', 'kv.log');
    const restLog = join(scratch, 'reload', 'rest.log');
    await first.enable('kv', 'file', { options: { file_path: kvLog, filter: 'mount_type == "kv"', exclude: '[{"fields": ["/auth"]}]' } });
    await first.enable('rest', 'file', { options: { file_path: restLog, fallback: 'true' } });
    await first.teardown();

    const second = new AuditBroker(barrier, silentLogger);
    await second.setup();
    await second.logRequest(sampleInput());
    await second.logRequest(sampleInput(SYS_INPUT));
    await second.teardown();

    const kv = await readEntries(kvLog);
    assert.deepEqual(kv.map((entry) => entry.request.path), ['secret/data/app']);
    assert.equal('auth' in kv[0], false);
    assert.deepEqual((await readEntries(restLog)).map((entry) => entry.request.path), ['sys/mounts']);
  });

  test('unopened fallback fails closed', async () => {
    const barrier = await unsealedBarrier();
    const first = new AuditBroker(barrier, silentLogger);
    await first.setup();
    const kvLog = join(scratch, 'unopened', 'kv.log');
    const blocker = join(scratch, 'unopened', 'blocker');
    await first.enable('kv', 'file', { options: { file_path: kvLog, filter: 'mount_type == "kv"' } });
    await first.enable('rest', 'file', { options: { file_path: join(blocker, 'rest.log'), fallback: 'true' } });
    await first.teardown();
    await rm(blocker, { recursive: true, force: true });
    await writeFile(blocker, 'a file where the fallback log folder was');

    const second = new AuditBroker(barrier, silentLogger);
    await second.setup();
    assert.equal(second.isOpen('rest'), false);
    await second.logRequest(sampleInput());
    await assert.rejects(second.logRequest(sampleInput(SYS_INPUT)), {
      status: 500,
      code: 'COFFER_ERR_AUDIT_FAILED',
      message: 'failed to audit the request: the fallback audit device is not open; see the server log',
    });
    await second.teardown();
    assert.deepEqual((await readEntries(kvLog)).map((entry) => entry.request.path), ['secret/data/app']);
  });

  /** Enables devices in a broker, then replaces the folder of `blocked` with a file, so that device fails to open in the broker returned. */
  async function restartWithBlockedDevice(folder: string, devices: Record<string, Record<string, string>>, blocked: string): Promise<AuditBroker> {
    const barrier = await unsealedBarrier();
    const first = new AuditBroker(barrier, silentLogger);
    await first.setup();
    for (const [path, options] of Object.entries(devices)) await first.enable(path, 'file', { options });
    await first.teardown();

    const blocker = join(scratch, folder, 'blocker');
    await rm(blocker, { recursive: true, force: true });
    await writeFile(blocker, 'a file where a log folder was');
    const second = new AuditBroker(barrier, silentLogger);
    await second.setup();
    assert.equal(second.isOpen(blocked), false);
    return second;
  }

  test('unopened unfiltered device fails closed', async () => {
    const sysLog = join(scratch, 'unopened-all', 'sys.log');
    const broker = await restartWithBlockedDevice(
      'unopened-all',
      {
        all: { file_path: join(scratch, 'unopened-all', 'blocker', 'all.log') },
        sys: { file_path: sysLog, filter: 'mount_type == "system"' },
      },
      'all',
    );

    await assert.rejects(broker.logRequest(sampleInput()), {
      status: 500,
      code: 'COFFER_ERR_AUDIT_FAILED',
      message: 'failed to audit the request: the audit device at "all/" is not open; see the server log',
    });
    await broker.logRequest(sampleInput(SYS_INPUT));
    await broker.teardown();
    assert.deepEqual((await readEntries(sysLog)).map((entry) => entry.request.path), ['sys/mounts']);
  });

  test('fallback does not replace unopened device', async () => {
    const restLog = join(scratch, 'unopened-kv', 'rest.log');
    const broker = await restartWithBlockedDevice(
      'unopened-kv',
      {
        kv: { file_path: join(scratch, 'unopened-kv', 'blocker', 'kv.log'), filter: 'mount_type == "kv"' },
        rest: { file_path: restLog, fallback: 'true' },
      },
      'kv',
    );

    await assert.rejects(broker.logRequest(sampleInput()), {
      status: 500,
      code: 'COFFER_ERR_AUDIT_FAILED',
      message: 'failed to audit the request: the audit device at "kv/" is not open; see the server log',
    });
    await broker.logRequest(sampleInput(SYS_INPUT));
    await broker.teardown();
    assert.deepEqual((await readEntries(restLog)).map((entry) => entry.request.path), ['sys/mounts']);
  });

  test('invalid routing options change nothing', async () => {
    const fixture = await auditFixture();
    const folder = join(scratch, 'invalid');
    const kept = join(folder, 'kept.log');
    await fixture.call('update', 'audit/kept', { type: 'file', options: { file_path: kept, fallback: true } });
    const tableBefore = (await fixture.barrier.get(AUDIT_TABLE_PATH))!.value.toString();
    const saltsBefore = await fixture.barrier.list('audit/');
    const file = join(folder, 'new.log');

    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ filter: 'mount == "kv"' }, 'invalid option "filter": unknown selector "mount" at offset 0: use one of mount_point, mount_type, namespace, operation, path'],
      [{ filter: 'mount_type = "kv"' }, 'invalid option "filter": unexpected character "=" at offset 11'],
      [{ filter: 'path matches "["' }, 'invalid option "filter": invalid regular expression "[" at offset 13: Invalid regular expression: /[/: Unterminated character class'],
      [{ fallback: true }, 'invalid option "fallback": the device at "kept/" is already the fallback device and only one is allowed: disable it first'],
      [{ fallback: 'yes' }, 'invalid option "fallback" "yes": expected "true" or "false"'],
      [{ fallback: 'false', filter: 'x' }, 'invalid option "filter": unknown selector "x" at offset 0: use one of mount_point, mount_type, namespace, operation, path'],
      // The JSON parser's own message follows the prefix and differs between Node versions.
      [{ exclude: '[{"fields": ["/a"]' }, /^invalid option "exclude": invalid JSON: ./],
      [{ exclude: '[{"condition": "operation == \\"update\\""}]' }, 'invalid option "exclude": entry 0: missing "fields"'],
      [{ exclude: '[{"fields": ["request/data"]}]' }, 'invalid option "exclude": entry 0: invalid JSON pointer "request/data": it must start with "/"'],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(fixture.call('update', 'audit/new', { type: 'file', options: { file_path: file, ...options } }), { status: 400, message }, JSON.stringify(options));
    }

    assert.deepEqual(fixture.broker.list().map((entry) => entry.path), ['kept/']);
    assert.equal((await fixture.barrier.get(AUDIT_TABLE_PATH))!.value.toString(), tableBefore);
    assert.deepEqual(await fixture.barrier.list('audit/'), saltsBefore);

    // A fallback with a filter is rejected even when no other fallback exists.
    await fixture.call('delete', 'audit/kept');
    await assert.rejects(fixture.call('update', 'audit/new', { type: 'file', options: { file_path: file, fallback: true, filter: 'mount_type == "kv"' } }), {
      status: 400,
      message: 'invalid option "filter": a fallback device cannot have a filter',
    });
    assert.deepEqual(fixture.broker.list(), []);
    assert.equal((await fixture.barrier.get(AUDIT_TABLE_PATH))!.value.toString(), '[]');
    assert.deepEqual(await fixture.barrier.list('audit/'), []);
    assert.deepEqual(await readdir(folder), ['kept.log']);
    await fixture.broker.teardown();
  });
});
