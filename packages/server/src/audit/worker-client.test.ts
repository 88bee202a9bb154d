import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { silentLogger } from '@coffer/sdk';
import { AuditHasher } from './hmac.js';
import { readEntries, sampleInput } from './test-support.js';
import { AuditWorker } from './worker-client.js';

/** Starts ending the client's thread the way a crash would, with its exit handler still attached; resolves when it is gone. */
function crashThread(client: AuditWorker): Promise<unknown> {
  const thread = (client as unknown as { worker: Worker }).worker;
  const exited = new Promise((resolve) => thread.once('exit', resolve));
  void thread.terminate();
  return exited;
}

describe('audit worker thread', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-worker-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('writes entries HMACed under the device salt', async () => {
    const client = new AuditWorker(silentLogger);
    const salt = randomBytes(32);
    const path = join(scratch, 'hmac.log');
    const device = await client.open({ path: 'file/', type: 'file', options: { file_path: path }, salt });
    const outcomes = await Promise.all([
      client.record('request', sampleInput({ requestId: 'first' }), Date.parse('2026-01-02T03:04:05.600Z'), [device]),
      client.record('request', sampleInput({ requestId: 'second' }), Date.parse('2026-01-02T03:04:05.700Z'), [device]),
    ]);
    await client.close(device);

    assert.deepEqual(outcomes, [[null], [null]]);
    const entries = await readEntries(path);
    assert.deepEqual(
      entries.map((entry) => [entry.time, entry.request.id]),
      [
        ['2026-01-02T03:04:05.6Z', 'first'],
        ['2026-01-02T03:04:05.7Z', 'second'],
      ],
    );
    assert.equal(entries[0].request.client_token, new AuditHasher(salt).hash(sampleInput().token!));
  });

  test('an unknown device number fails that device only', async () => {
    const client = new AuditWorker(silentLogger);
    const device = await client.open({ path: 'file/', type: 'file', options: { file_path: join(scratch, 'unknown.log') }, salt: randomBytes(32) });
    const outcome = await client.record('request', sampleInput(), Date.now(), [device, device + 100]);
    await client.close(device);
    assert.deepEqual(outcome, [null, 'the audit device is not open']);
  });

  test('open reports the device error and a type the thread does not host', async () => {
    const client = new AuditWorker(silentLogger);
    await assert.rejects(client.open({ path: 'file/', type: 'file', options: {}, salt: randomBytes(32) }), { message: 'missing required option "file_path"' });
    await assert.rejects(client.open({ path: 'sys/', type: 'syslog', options: {}, salt: randomBytes(32) }), { message: 'unknown audit device type "syslog"' });
    await client.stop();
  });

  test('an entry that cannot be copied fails alone', async () => {
    const client = new AuditWorker(silentLogger);
    const path = join(scratch, 'uncopyable.log');
    const device = await client.open({ path: 'file/', type: 'file', options: { file_path: path }, salt: randomBytes(32) });
    const good = client.record('request', sampleInput({ requestId: 'good' }), Date.now(), [device]);
    const bad = client.record('request', sampleInput({ requestId: 'bad', data: { callback: () => undefined } }), Date.now(), [device]);
    await assert.rejects(bad, { message: 'the entry cannot be sent to the audit worker thread: () => undefined could not be cloned.' });
    assert.deepEqual(await good, [null]);
    await client.close(device);
    assert.deepEqual(
      (await readEntries(path)).map((entry) => entry.request.id),
      ['good'],
    );
  });

  test('close of the last device settles queued entries first', async () => {
    for (const type of ['file', 'socket'] as const) {
      const client = new AuditWorker(silentLogger);
      const path = join(scratch, `close-last-${type}.log`);
      const received: Buffer[] = [];
      const listener = createServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const port = (listener.address() as AddressInfo).port;
      const options: Record<string, string> = type === 'file' ? { file_path: path } : { address: `127.0.0.1:${port}`, socket_type: 'tcp' };
      const device = await client.open({ path: `${type}/`, type, options, salt: randomBytes(32) });

      const outcomes = Array.from({ length: 50 }, (_, index) =>
        client.record(index % 2 === 0 ? 'request' : 'response', sampleInput({ requestId: `entry-${index}` }), Date.now(), [device]),
      );
      await client.close(device);

      assert.deepEqual(await Promise.all(outcomes), outcomes.map(() => [null]), `${type}: every entry was written`);
      if (type === 'file') assert.equal((await readEntries(path)).length, 50);
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      if (type === 'socket') assert.equal(Buffer.concat(received).toString().trim().split('\n').length, 50);
    }
  });

  test('a crashed thread fails waiting entries, then starts again with its devices', async () => {
    const client = new AuditWorker(silentLogger);
    const path = join(scratch, 'crash.log');
    const device = await client.open({ path: 'file/', type: 'file', options: { file_path: path }, salt: randomBytes(32) });
    assert.deepEqual(await client.record('request', sampleInput({ requestId: 'before' }), Date.now(), [device]), [null]);

    // The thread runs no more code once termination starts, so this entry is never written.
    const crashed = crashThread(client);
    const lost = client.record('request', sampleInput({ requestId: 'lost' }), Date.now(), [device]);
    await crashed;
    await assert.rejects(lost, { message: 'the audit worker thread exited with code 1' });

    assert.deepEqual(await client.record('response', sampleInput({ requestId: 'after' }), Date.now(), [device]), [null]);
    assert.equal(await client.syncCount(device), 1);
    await client.close(device);
    assert.deepEqual(
      (await readEntries(path)).map((entry) => entry.request.id),
      ['before', 'after'],
    );
  });
});
