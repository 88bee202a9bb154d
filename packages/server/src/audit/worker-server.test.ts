import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { parseEntries, readEntries } from './test-support.js';

const ROOT = 'root-audit-worker-test';

/** Counts the OS threads of this process, where each worker thread adds one. */
async function threadCount(): Promise<number> {
  return (await readdir('/proc/self/task')).length;
}


/** Checks that each id has exactly one request entry and one response entry after it, and that the log has no other entry for it. */
function assertPaired(entries: any[], ids: string[]): void {
  for (const id of ids) {
    const positions = entries.flatMap((entry, index) => (entry.request.id === id ? [[entry.type, index]] : []));
    assert.equal(positions.length, 2, `request ${id} has ${positions.length} entries`);
    assert.equal(positions[0][0], 'request', `request ${id} starts with its request entry`);
    assert.equal(positions[1][0], 'response', `request ${id} ends with its response entry`);
  }
}

/** Ends the server's audit worker thread the way a crash would, and resolves once it is gone. */
async function crashAuditThread(server: RunningServer): Promise<void> {
  const thread = (server.core.audit as unknown as { worker: { worker: Worker } }).worker.worker;
  const exited = new Promise((resolve) => thread.once('exit', resolve));
  void thread.terminate();
  await exited;
}

/** A TCP listener that keeps every line the socket device sends it. */
interface Collector {
  address: string;
  entries(): any[];
  close(): void;
}

async function startCollector(): Promise<Collector> {
  const sockets = new Set<Socket>();
  let text = '';
  const listener: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    entries: () => parseEntries(text),
    close: () => {
      for (const socket of sockets) socket.destroy();
      listener.close();
    },
  };
}

describe('audit worker thread behind a server', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-audit-worker-server-'));
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('concurrent requests pair their entries', async () => {
    const logPath = join(directory, 'concurrent.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/concurrent', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);

    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, index) => api(server, 'POST', `secret/data/concurrent-${index % 20}`, { token: ROOT, body: { data: { index } } })),
    );
    assert.equal(await api(server, 'DELETE', 'sys/audit/concurrent', { token: ROOT }).then((response) => response.status), 204);

    assert.deepEqual(
      responses.map((response) => response.status),
      responses.map(() => 200),
    );
    const ids = responses.map((response) => response.body.request_id as string);
    assert.equal(new Set(ids).size, 200);
    const entries = await readEntries(logPath);
    const writes = entries.filter((entry) => entry.request.path.startsWith('secret/data/concurrent-'));
    assert.equal(writes.length, 400);
    assertPaired(entries, ids);
  });

  test('SIGHUP rotation under load loses no entry', async () => {
    const logPath = join(directory, 'rotated.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/rotated', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);

    const requests = Array.from({ length: 200 }, (_, index) => api(server, 'POST', `secret/data/rotated-${index % 20}`, { token: ROOT, body: { data: { index } } }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await rename(logPath, `${logPath}.1`);
    const signalled = new Promise((resolve) => process.once('SIGHUP', resolve));
    process.kill(process.pid, 'SIGHUP');
    await signalled;
    const responses = await Promise.all(requests);
    assert.equal((await api(server, 'DELETE', 'sys/audit/rotated', { token: ROOT })).status, 204);

    assert.deepEqual(
      responses.map((response) => response.status),
      responses.map(() => 200),
    );
    const rotatedEntries = await readEntries(`${logPath}.1`);
    const newEntries = await readEntries(logPath);
    assert.ok(rotatedEntries.length > 0, 'entries before the signal stay in the renamed file');
    assert.ok(newEntries.length > 0, 'entries after the signal go to the new file');
    assertPaired([...rotatedEntries, ...newEntries], responses.map((response) => response.body.request_id as string));
  });

  test('thread crash under load fails closed, then recovers', async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    const socketOptions = { address: collector.address, socket_type: 'tcp' };
    assert.equal((await api(server, 'PUT', 'sys/audit/crash', { token: ROOT, body: { type: 'socket', options: socketOptions } })).status, 204);

    // Requests go in waves, so that some finish before the crash, some wait on the thread and some start after it.
    const requests: Promise<Awaited<ReturnType<typeof api>>>[] = [];
    for (let wave = 0; wave < 10; wave++) {
      for (let index = 0; index < 20; index++) requests.push(api(server, 'POST', `secret/data/crash-${index}`, { token: ROOT, body: { data: { wave } } }));
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (wave === 4) await crashAuditThread(server);
    }
    const responses = await Promise.all(requests);
    const later = await api(server, 'POST', 'secret/data/crash-later', { token: ROOT, body: { data: { later: true } } });
    assert.equal((await api(server, 'DELETE', 'sys/audit/crash', { token: ROOT })).status, 204);

    assert.equal(later.status, 200);
    const statuses = new Set(responses.map((response) => response.status));
    assert.deepEqual([...statuses].filter((status) => status !== 200 && status !== 500), []);
    const acknowledged = responses.filter((response) => response.status === 200).map((response) => response.body.request_id as string);
    assertPaired(collector.entries(), [...acknowledged, later.body.request_id]);
    for (const failed of responses.filter((response) => response.status === 500)) {
      assert.match(failed.body.errors[0], /^failed to audit the (request|response): no enabled audit device recorded it$/);
    }
  });

  test('denied request entry is synced alone', async () => {
    const logPath = join(directory, 'denied.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/denied', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);
    const syncsBefore = await server.core.audit.syncCount('denied');

    const denied = await api(server, 'GET', 'secret/data/denied', { token: 'not-a-token' });
    const syncsAfter = await server.core.audit.syncCount('denied');
    assert.equal((await api(server, 'DELETE', 'sys/audit/denied', { token: ROOT })).status, 204);

    assert.equal(denied.status, 403);
    assert.equal(syncsAfter, syncsBefore! + 1);
    const entries = (await readEntries(logPath)).filter((entry) => entry.request.path === 'secret/data/denied');
    assert.equal(entries.length, 1);
    assert.equal(entries[0].type, 'request');
    assert.equal(entries[0].error, 'permission denied');
  });

  test('seal cycles keep auditing, leak no thread', async () => {
    const logPath = join(directory, 'cycles.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/cycles', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);
    assert.equal((await api(server, 'POST', 'secret/data/cycles', { token: ROOT, body: { data: { round: -1 } } })).status, 200);
    const baseline = await threadCount();

    const ids: string[] = [];
    for (let round = 0; round < 5; round++) {
      assert.equal((await api(server, 'PUT', 'sys/seal', { token: ROOT })).status, 204);
      const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } });
      assert.equal(unsealed.status, 200);
      assert.equal(unsealed.body.sealed, false);
      const written = await api(server, 'POST', 'secret/data/cycles', { token: ROOT, body: { data: { round } } });
      assert.equal(written.status, 200);
      ids.push(written.body.request_id);
    }
    assert.equal(await threadCount(), baseline);

    const hashed = await api(server, 'POST', 'sys/audit-hash/cycles', { token: ROOT, body: { input: ROOT } });
    assert.equal(hashed.status, 200);
    assert.equal((await api(server, 'DELETE', 'sys/audit/cycles', { token: ROOT })).status, 204);
    const entries = await readEntries(logPath);
    assertPaired(entries, ids);
    const last = entries.findLast((entry) => entry.request.id === ids[4]);
    assert.equal(last.auth.client_token, hashed.body.data.hash);
  });

  test('enable cycles leak no thread', async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    const baseline = await threadCount();
    for (let round = 0; round < 5; round++) {
      const socketOptions = { address: collector.address, socket_type: 'tcp' };
      assert.equal((await api(server, 'PUT', 'sys/audit/toggle', { token: ROOT, body: { type: 'socket', options: socketOptions } })).status, 204);
      assert.equal((await api(server, 'GET', 'secret/data/cycles', { token: ROOT })).status, 200);
      assert.equal(await threadCount(), baseline + 1, 'the audit worker thread runs while a socket device is enabled');
      assert.equal((await api(server, 'DELETE', 'sys/audit/toggle', { token: ROOT })).status, 204);
      assert.equal(await threadCount(), baseline);
    }
  });

  test('file device starts no thread', async () => {
    const baseline = await threadCount();
    const logPath = join(directory, 'no-thread.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/no-thread', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);
    const read = await api(server, 'GET', 'secret/data/cycles', { token: ROOT });
    const threads = await threadCount();
    assert.equal((await api(server, 'DELETE', 'sys/audit/no-thread', { token: ROOT })).status, 204);

    assert.equal(read.status, 200);
    assert.equal(threads, baseline, 'the file device writes from the request thread');
    assert.equal((await readEntries(logPath)).filter((entry) => entry.request.id === read.body.request_id).length, 2);
  });

  test('file and socket devices record together', async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    const logPath = join(directory, 'together.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/together-file', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);
    const socketOptions = { address: collector.address, socket_type: 'tcp' };
    assert.equal((await api(server, 'PUT', 'sys/audit/together-net', { token: ROOT, body: { type: 'socket', options: socketOptions } })).status, 204);

    const written = await api(server, 'POST', 'secret/data/together', { token: ROOT, body: { data: { value: 'both' } } });
    const read = await api(server, 'GET', 'secret/data/together', { token: ROOT });
    assert.equal((await api(server, 'DELETE', 'sys/audit/together-net', { token: ROOT })).status, 204);
    assert.equal((await api(server, 'DELETE', 'sys/audit/together-file', { token: ROOT })).status, 204);

    assert.equal(written.status, 200);
    assert.equal(read.status, 200);
    const ids = [written.body.request_id, read.body.request_id];
    assertPaired(await readEntries(logPath), ids);
    assertPaired(collector.entries(), ids);
  });

  test('file disable under load fails nothing', async () => {
    const logPath = join(directory, 'in-flight.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/flight', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);

    const requests = Array.from({ length: 100 }, (_, index) => api(server, 'POST', `secret/data/flight-${index % 10}`, { token: ROOT, body: { data: { index } } }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const disabled = await api(server, 'DELETE', 'sys/audit/flight', { token: ROOT });
    const responses = await Promise.all(requests);

    assert.equal(disabled.status, 204);
    assert.deepEqual(
      responses.map((response) => response.status),
      responses.map(() => 200),
    );
  });

  test('socket disable under load fails nothing', async () => {
    const sockets = new Set<Socket>();
    const listener: Server = createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    try {
      const enabled = await api(server, 'PUT', 'sys/audit/net', { token: ROOT, body: { type: 'socket', options: { address: `127.0.0.1:${port}`, socket_type: 'tcp' } } });
      assert.equal(enabled.status, 204);

      const requests = Array.from({ length: 100 }, (_, index) => api(server, 'POST', `secret/data/net-${index % 10}`, { token: ROOT, body: { data: { index } } }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const disabled = await api(server, 'DELETE', 'sys/audit/net', { token: ROOT });
      const responses = await Promise.all(requests);

      assert.equal(disabled.status, 204);
      assert.deepEqual(
        responses.map((response) => response.status),
        responses.map(() => 200),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      listener.close();
    }
  });
  test('backend error unrecorded becomes 500', async () => {
    const folder = join(directory, 'backend-error');
    const logPath = join(folder, 'audit.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/backend-error', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } })).status, 204);
    assert.equal((await api(server, 'POST', 'secret/data/backend-error', { token: ROOT, body: { data: { value: 'first' } } })).status, 200);

    // The log's folder goes away after the request entry and before the entry of the backend's error.
    const broker = server.core.audit;
    const logResponse = broker.logResponse.bind(broker);
    broker.logResponse = async (input) => {
      if (input.error !== undefined) await rm(folder, { recursive: true, force: true });
      return logResponse(input);
    };
    try {
      // A check-and-set with the wrong version makes the backend fail with 400.
      const response = await api(server, 'POST', 'secret/data/backend-error', { token: ROOT, body: { options: { cas: 7 }, data: { value: 'second' } } });
      assert.equal(response.status, 500);
      assert.deepEqual(response.body, { errors: ['failed to audit the response: no enabled audit device recorded it'] });
    } finally {
      broker.logResponse = logResponse;
      // A device that can record nothing refuses its own disable, so its folder comes back first.
      await mkdir(folder, { recursive: true });
      assert.equal((await api(server, 'DELETE', 'sys/audit/backend-error', { token: ROOT })).status, 204);
    }
    const read = await api(server, 'GET', 'secret/data/backend-error', { token: ROOT });
    assert.equal(read.status, 200);
    assert.deepEqual((read.body as any).data.data, { value: 'first' });
  });
});
