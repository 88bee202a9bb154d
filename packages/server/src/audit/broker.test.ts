import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger, type AuditDevice, type AuditPlugin } from '@coffer/sdk';
import { AuditBroker } from './broker.js';
import { AUDIT_TABLE_PATH } from './table.js';
import type { AuditResponseInput } from './input.js';
import { readEntries, sampleInput, unsealedBarrier } from './test-support.js';

const SECRETS = ['hvs.caller-token-value', 'caller-accessor-value', 'top-secret-password', 'deep-secret-key', 'listed-secret', 'inner-secret'];
const RESPONSE_SECRETS = ['response-secret-value', 'nested-response-secret', 'hvs.issued-token', 'issued-accessor', 'hvs.wrapping-token'];

const AUDIT_FAILED = { status: 500, code: 'COFFER_ERR_AUDIT_FAILED' };

function responseInput() {
  return sampleInput({
    response: {
      data: { value: 'response-secret-value', nested: { list: [{ deep: 'nested-response-secret' }] }, ttl: 60 },
      auth: { client_token: 'hvs.issued-token', accessor: 'issued-accessor', policies: ['default'], token_policies: ['default'], lease_duration: 60, token_type: 'service' },
      wrapInfo: { token: 'hvs.wrapping-token', accessor: 'wrapping-accessor', ttl: 300, creation_time: '2024-01-15T10:30:45Z', creation_path: 'secret/data/app' },
    },
  });
}

describe('audit broker', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-broker-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function brokerWithFile(name: string, options: Record<string, string> = {}): Promise<{ broker: AuditBroker; path: string }> {
    const broker = new AuditBroker(await unsealedBarrier(), silentLogger);
    await broker.setup();
    const path = join(scratch, name, 'audit.log');
    await broker.enable('file', 'file', { options: { file_path: path, ...options } });
    return { broker, path };
  }

  test('no device means not enabled and nothing to write', async () => {
    const broker = new AuditBroker(await unsealedBarrier(), silentLogger);
    await broker.setup();
    assert.equal(broker.enabled, false);
    await broker.logRequest(sampleInput());
    await broker.logResponse(sampleInput());
  });

  test('entries have Vault field names', async () => {
    const { broker, path } = await brokerWithFile('fields');
    assert.equal(broker.enabled, true);
    await broker.logRequest(sampleInput());
    await broker.logResponse(responseInput());
    await broker.teardown();

    const [request, response] = await readEntries(path);
    assert.deepEqual(Object.keys(request), ['time', 'auth', 'request', 'type']);
    assert.equal(request.type, 'request');
    assert.match(request.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(Object.keys(request.auth), ['accessor', 'client_token', 'display_name', 'metadata', 'policies', 'token_issue_time', 'token_policies', 'token_ttl', 'token_type']);
    assert.deepEqual(Object.keys(request.request), [
      'client_token',
      'client_token_accessor',
      'data',
      'id',
      'mount_accessor',
      'mount_point',
      'mount_type',
      'namespace',
      'operation',
      'path',
      'remote_address',
      'remote_port',
    ]);
    assert.deepEqual(request.request.namespace, { id: 'root' });
    assert.deepEqual(Object.keys(response), ['time', 'auth', 'request', 'response', 'type']);
    assert.deepEqual(Object.keys(response.response), ['auth', 'data', 'mount_accessor', 'mount_point', 'mount_type', 'wrap_info']);
    assert.equal(response.request.id, request.request.id);
  });

  test('no secret appears in clear', async () => {
    const { broker, path } = await brokerWithFile('secrets');
    await broker.logRequest(sampleInput());
    await broker.logResponse(responseInput());
    await broker.teardown();

    const text = await readFile(path, 'utf8');
    for (const secret of [...SECRETS, ...RESPONSE_SECRETS]) {
      assert.equal(text.includes(secret), false, `${secret} is in the log in clear`);
    }
  });

  test('audit-hash reproduces the HMACs in the log', async () => {
    const { broker, path } = await brokerWithFile('hashes');
    await broker.logRequest(sampleInput());
    await broker.logResponse(responseInput());
    const [request, response] = await readEntries(path);

    assert.equal(request.request.client_token, broker.hash('file', 'hvs.caller-token-value'));
    assert.equal(request.auth.accessor, broker.hash('file/', 'caller-accessor-value'));
    assert.equal(request.request.data.data.password, broker.hash('file', 'top-secret-password'));
    assert.equal(request.request.data.data.nested.list[1].inner, broker.hash('file', 'inner-secret'));
    assert.equal(response.response.data.nested.list[0].deep, broker.hash('file', 'nested-response-secret'));
    assert.equal(response.response.auth.client_token, broker.hash('file', 'hvs.issued-token'));
    assert.equal(response.response.wrap_info.token, broker.hash('file', 'hvs.wrapping-token'));
    assert.equal(response.response.data.ttl, 60);
    assert.throws(() => broker.hash('other', 'x'), { status: 400, message: 'no audit device is enabled at "other/"' });
    await broker.teardown();
  });

  test('devices have their own salts', async () => {
    const { broker, path } = await brokerWithFile('salts');
    const second = join(scratch, 'salts', 'second.log');
    await broker.enable('second', 'file', { options: { file_path: second } });
    await broker.logRequest(sampleInput());
    await broker.teardown();

    const [first] = await readEntries(path);
    const [other] = await readEntries(second);
    assert.notEqual(first.request.client_token, other.request.client_token);
  });

  test('salt and table survive a restart', async () => {
    const barrier = await unsealedBarrier();
    const path = join(scratch, 'restart', 'audit.log');
    const first = new AuditBroker(barrier, silentLogger);
    await first.setup();
    await first.enable('file', 'file', { options: { file_path: path }, description: 'kept' });
    const hashBefore = first.hash('file', 'value');
    await first.logRequest(sampleInput());
    await first.teardown();
    assert.equal(first.enabled, false);

    const second = new AuditBroker(barrier, silentLogger);
    await second.setup();
    assert.equal(second.enabled, true);
    assert.equal(second.hash('file', 'value'), hashBefore);
    assert.deepEqual(second.list().map((entry) => [entry.path, entry.type, entry.description]), [['file/', 'file', 'kept']]);
    await second.logRequest(sampleInput());
    await second.teardown();
    assert.equal((await readEntries(path)).length, 2);
  });

  test('removed folder fails the request entry', async () => {
    const { broker, path } = await brokerWithFile('fail-closed');
    await broker.logRequest(sampleInput());
    await rm(join(scratch, 'fail-closed'), { recursive: true, force: true });

    await assert.rejects(broker.logRequest(sampleInput()), { ...AUDIT_FAILED, message: 'failed to audit the request: no enabled audit device recorded it' });
    await assert.rejects(broker.logResponse(sampleInput()), { ...AUDIT_FAILED, message: 'failed to audit the response: no enabled audit device recorded it' });
    await broker.teardown();
    await assert.rejects(readFile(path), { code: 'ENOENT' });
  });

  test('unwritable file fails the request entry', async () => {
    const broker = new AuditBroker(await unsealedBarrier(), silentLogger);
    await broker.setup();
    await broker.enable('full', 'file', { options: { file_path: '/dev/full' } });
    await assert.rejects(broker.logRequest(sampleInput()), { ...AUDIT_FAILED, message: 'failed to audit the request: no enabled audit device recorded it' });
    await broker.teardown();
  });

  test('one healthy device is enough', async () => {
    const { broker } = await brokerWithFile('broken-one');
    const healthy = join(scratch, 'healthy', 'audit.log');
    await broker.enable('healthy', 'file', { options: { file_path: healthy } });
    await rm(join(scratch, 'broken-one'), { recursive: true, force: true });

    await broker.logRequest(sampleInput());
    await broker.logResponse(sampleInput());
    await broker.teardown();
    assert.deepEqual((await readEntries(healthy)).map((entry) => entry.type), ['request', 'response']);
  });

  test('stopped socket listener fails within write_timeout', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;

    const broker = new AuditBroker(await unsealedBarrier(), silentLogger);
    await broker.setup();
    await broker.enable('socket', 'socket', { options: { address: `127.0.0.1:${port}`, write_timeout: '500ms' } });
    await broker.logRequest(sampleInput());

    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;

    const started = Date.now();
    await assert.rejects(async () => {
      // The first write after the close may still reach the kernel before the reset arrives; the next cannot.
      await broker.logRequest(sampleInput());
      await broker.logRequest(sampleInput());
    }, AUDIT_FAILED);
    assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started}ms`);
    await broker.teardown();
  });

  test('SIGHUP reopens the file after rename', async () => {
    const { broker, path } = await brokerWithFile('sighup');
    let reopened: Promise<void> = Promise.resolve();
    const onHangup = (): void => {
      reopened = broker.reopen();
    };
    process.on('SIGHUP', onHangup);
    try {
      await broker.logRequest(sampleInput({ requestId: 'before-rotation' }));
      await rename(path, `${path}.1`);
      const signalled = new Promise((resolve) => process.once('SIGHUP', resolve));
      // Signal handles do not keep the event loop alive, so a timer does until the signal arrives.
      const keepAlive = setTimeout(() => undefined, 5000);
      process.kill(process.pid, 'SIGHUP');
      await signalled;
      clearTimeout(keepAlive);
      await reopened;
      await broker.logRequest(sampleInput({ requestId: 'after-rotation' }));
    } finally {
      process.off('SIGHUP', onHangup);
      await broker.teardown();
    }
    assert.deepEqual((await readEntries(`${path}.1`)).map((entry) => entry.request.id), ['before-rotation']);
    assert.deepEqual((await readEntries(path)).map((entry) => entry.request.id), ['after-rotation']);
  });

  test('jsonx device writes prefixed XML lines', async () => {
    const { broker, path } = await brokerWithFile('jsonx', { format: 'jsonx', prefix: 'coffer-audit ' });
    await broker.logRequest(sampleInput());
    await broker.teardown();
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1);
    assert.ok(lines[0].startsWith('coffer-audit <json:object xmlns:json="http://www.ibm.com/xmlns/prod/2009/jsonx"><json:object name="auth">'), lines[0]);
    assert.ok(lines[0].endsWith('<json:string name="type">request</json:string></json:object>'), lines[0]);
    assert.equal(lines[0].includes('top-secret-password'), false);
  });

  test('prefix comes before each JSON entry', async () => {
    const { broker, path } = await brokerWithFile('prefix', { prefix: '@cee: ' });
    await broker.logRequest(sampleInput());
    await broker.logResponse(sampleInput());
    await broker.teardown();
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.ok(line.startsWith('@cee: {"time":'), line);
      assert.doesNotThrow(() => JSON.parse(line.slice('@cee: '.length)));
    }
  });

  test('group commit shares syncs across concurrent requests', async () => {
    const { broker, path } = await brokerWithFile('group');
    const before = await broker.syncCount('file');
    assert.equal(typeof before, 'number');
    const count = 300;
    await Promise.all(Array.from({ length: count }, () => broker.logResponse(responseInput())));
    const syncs = (await broker.syncCount('file'))! - before!;
    await broker.teardown();
    assert.equal((await readEntries(path)).length, count);
    assert.ok(syncs >= 1, `expected at least one sync, got ${syncs}`);
    assert.ok(syncs <= 5, `expected at most 5 syncs for ${count} concurrent requests, got ${syncs}`);
  });

  test('a request entry waits for no sync unless it records an error', async () => {
    const { broker, path } = await brokerWithFile('durability');
    await broker.logRequest(sampleInput({ requestId: 'runs' }));
    assert.equal(await broker.syncCount('file'), 0);
    await broker.logResponse(sampleInput({ requestId: 'runs' }));
    assert.equal(await broker.syncCount('file'), 1);
    await broker.logRequest(sampleInput({ requestId: 'refused', error: 'permission denied' }));
    assert.equal(await broker.syncCount('file'), 2);
    await broker.teardown();
    assert.deepEqual(
      (await readEntries(path)).map((entry) => [entry.type, entry.request.id]),
      [
        ['request', 'runs'],
        ['response', 'runs'],
        ['request', 'refused'],
      ],
    );
  });

  test('disable closes the device and deletes its salt', async () => {
    const barrier = await unsealedBarrier();
    const broker = new AuditBroker(barrier, silentLogger);
    await broker.setup();
    const path = join(scratch, 'disable', 'audit.log');
    const entry = await broker.enable('file', 'file', { options: { file_path: path } });
    assert.deepEqual(await barrier.list(`audit/${entry.uuid}/`), ['salt']);

    assert.equal(await broker.disable('file/'), true);
    assert.equal(broker.enabled, false);
    assert.deepEqual(await barrier.list(`audit/${entry.uuid}/`), []);
    assert.equal(await broker.disable('file'), false);
    await broker.logRequest(sampleInput());
    assert.deepEqual(await readEntries(path), []);
    assert.deepEqual(JSON.parse((await barrier.get(AUDIT_TABLE_PATH))!.value.toString()), []);
  });

  test('setup fails when no device opens', async () => {
    const barrier = await unsealedBarrier();
    const folder = join(scratch, 'unopenable');
    const first = new AuditBroker(barrier, silentLogger);
    await first.setup();
    await first.enable('file', 'file', { options: { file_path: join(folder, 'audit.log') } });
    await first.teardown();
    // A file where the log's folder was makes the device impossible to open.
    await rm(folder, { recursive: true, force: true });
    await writeFile(folder, 'not a folder');

    const second = new AuditBroker(barrier, silentLogger);
    await assert.rejects(second.setup(), { status: 500, message: 'none of the 1 enabled audit devices could be opened; see the server log' });
    assert.equal(second.enabled, false);
  });
});

describe('audit broker with one device on this thread', () => {
  /** Returns a broker whose only device is `device`, enabled at `memory/` with `options`. */
  async function brokerWith(device: AuditDevice, options: Record<string, string> = {}): Promise<AuditBroker> {
    const plugin: AuditPlugin = { kind: 'audit', name: 'memory', version: '1.0.0', sdkVersion: '1.0.0', settings: [], create: async () => device };
    const broker = new AuditBroker(await unsealedBarrier(), silentLogger, new Map([['memory', plugin]]));
    await broker.setup();
    await broker.enable('memory', 'memory', { options });
    return broker;
  }

  test('failed entry fails closed with 500', async () => {
    const rejecting: AuditDevice = { write: async () => Promise.reject(new Error('disk gone')), close: async () => {} };
    const throwing: AuditDevice = {
      write: () => {
        throw new Error('disk gone');
      },
      close: async () => {},
    };
    const accepting: AuditDevice = { write: async () => {}, close: async () => {} };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: Array<[string, AuditDevice, Record<string, string>, AuditResponseInput]> = [
      ['rejecting device', rejecting, {}, sampleInput()],
      ['device that throws', throwing, {}, sampleInput()],
      // Serializing a cycle throws, and only a log_raw device serializes data as it is.
      ['formatting error', accepting, { log_raw: 'true' }, sampleInput({ data: { cyclic } })],
    ];
    for (const [name, device, options, input] of cases) {
      const broker = await brokerWith(device, options);
      await assert.rejects(broker.logRequest(input), { ...AUDIT_FAILED, message: 'failed to audit the request: no enabled audit device recorded it' }, name);
      await assert.rejects(broker.logResponse(input), { ...AUDIT_FAILED, message: 'failed to audit the response: no enabled audit device recorded it' }, name);
      await broker.teardown();
    }
  });

  test('write that returns no promise records the entry', async () => {
    // A device in plain JavaScript can break the SDK's types this way. The broker awaited writes before, which counted it as written.
    const written: string[] = [];
    const device = { write: (entries: Buffer) => void written.push(entries.toString('utf8')), close: async () => {} } as unknown as AuditDevice;
    const broker = await brokerWith(device);

    await broker.logRequest(sampleInput());
    await broker.logResponse(sampleInput());
    await broker.teardown();
    assert.deepEqual(written.map((line) => JSON.parse(line).type), ['request', 'response']);
  });
});
