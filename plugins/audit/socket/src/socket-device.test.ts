import assert from 'node:assert/strict';
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger, type AuditDevice } from '@coffer/sdk';
import { parseDurationMilliseconds, plugin, StreamSocketAuditDevice } from './index.js';

/** A stream listener that collects what it receives and can stop on demand. */
class StreamListener {
  received = '';
  readonly sockets = new Set<Socket>();
  private constructor(readonly server: Server) {}

  static async start(listenOn: { port: number; host: string } | { path: string }, read = true): Promise<StreamListener> {
    let listener: StreamListener;
    const server = createServer((socket) => {
      listener.sockets.add(socket);
      socket.on('close', () => listener.sockets.delete(socket));
      socket.on('error', () => undefined);
      if (read) socket.on('data', (chunk) => (listener.received += chunk.toString()));
      else socket.pause();
    });
    listener = new StreamListener(server);
    await new Promise<void>((resolve) => server.listen(listenOn, resolve));
    return listener;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async waitFor(text: string): Promise<void> {
    for (let tries = 0; tries < 200 && !this.received.includes(text); tries += 1) await sleep(10);
    assert.ok(this.received.includes(text), `listener never received ${JSON.stringify(text)}`);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function line(text: string): Buffer {
  return Buffer.from(`${text}\n`);
}

async function waitDisconnected(device: StreamSocketAuditDevice): Promise<void> {
  for (let tries = 0; tries < 200 && device.connected; tries += 1) await sleep(5);
  assert.equal(device.connected, false, 'the device noticed the closed connection');
}

describe('socket audit device', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-socket-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('tcp delivers entries in order', async () => {
    const listener = await StreamListener.start({ port: 0, host: '127.0.0.1' });
    const device = await plugin.create({ address: `127.0.0.1:${listener.port}` }, { logger: silentLogger });
    await Promise.all([device.write(line('one')), device.write(line('two')), device.write(line('three'))]);
    await listener.waitFor('three\n');
    assert.equal(listener.received, 'one\ntwo\nthree\n');
    await device.close();
    await listener.stop();
  });

  test('unix socket delivers entries', async () => {
    const path = join(scratch, 'audit.sock');
    const listener = await StreamListener.start({ path });
    const device = await plugin.create({ address: path, socket_type: 'unix' }, { logger: silentLogger });
    await device.write(line('over unix'));
    await listener.waitFor('over unix\n');
    await device.close();
    await listener.stop();
  });

  test('udp sends one datagram per write', async () => {
    const receiver: DatagramSocket = createSocket('udp4');
    const messages: string[] = [];
    receiver.on('message', (message) => messages.push(message.toString()));
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    const port = receiver.address().port;

    const device = await plugin.create({ address: `127.0.0.1:${port}`, socket_type: 'udp' }, { logger: silentLogger });
    await device.write(line('first datagram'));
    await device.write(line('second datagram'));
    for (let tries = 0; tries < 200 && messages.length < 2; tries += 1) await sleep(10);
    assert.deepEqual(messages, ['first datagram\n', 'second datagram\n']);
    await device.close();
    receiver.close();
  });

  test('stopped tcp listener fails within write_timeout', async () => {
    const listener = await StreamListener.start({ port: 0, host: '127.0.0.1' });
    const port = listener.port;
    const device = (await plugin.create({ address: `127.0.0.1:${port}`, write_timeout: '1s' }, { logger: silentLogger })) as StreamSocketAuditDevice;
    await device.write(line('before'));
    await listener.stop();
    await waitDisconnected(device);

    const started = Date.now();
    await assert.rejects(device.write(line('after')), {
      message: `failed to send audit entries to tcp 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started}ms`);
    await device.close();
  });

  test('stopped unix listener fails within write_timeout', async () => {
    const path = join(scratch, 'stopped.sock');
    const listener = await StreamListener.start({ path });
    const device = (await plugin.create({ address: path, socket_type: 'unix', write_timeout: '1s' }, { logger: silentLogger })) as StreamSocketAuditDevice;
    await device.write(line('before'));
    await listener.stop();
    await waitDisconnected(device);

    const started = Date.now();
    await assert.rejects(device.write(line('after')), { message: `failed to send audit entries to unix ${path}: connect ENOENT ${path}` });
    assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started}ms`);
    await device.close();
  });

  test('peer that stops reading fails at write_timeout', async () => {
    const listener = await StreamListener.start({ port: 0, host: '127.0.0.1' }, false);
    const device = await plugin.create({ address: `127.0.0.1:${listener.port}`, write_timeout: '300ms' }, { logger: silentLogger });
    // More than loopback socket buffers hold, so the write cannot complete while the peer does not read.
    const large = Buffer.alloc(64 * 1024 * 1024, 0x61);

    const started = Date.now();
    await assert.rejects(device.write(large), { message: `timed out after 300ms sending audit entries to tcp 127.0.0.1:${listener.port}` });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290, `failed early, after ${elapsed}ms`);
    assert.ok(elapsed < 1300, `failed late, after ${elapsed}ms`);
    await device.close();
    await listener.stop();
  });

  test('huge write_timeout still waits', async () => {
    const listener = await StreamListener.start({ port: 0, host: '127.0.0.1' });
    const device = await plugin.create({ address: `127.0.0.1:${listener.port}`, write_timeout: '1000h' }, { logger: silentLogger });
    try {
      // Node.js runs a timer above 2^31-1 ms after 1 ms, and sending 16 MiB takes longer than that.
      await device.write(Buffer.alloc(16 * 1024 * 1024, 0x61));
      await device.write(line('long timeout'));
      await listener.waitFor('long timeout\n');
    } finally {
      await device.close();
      await listener.stop();
    }
  });

  test('reconnects after the listener comes back', async () => {
    const first = await StreamListener.start({ port: 0, host: '127.0.0.1' });
    const port = first.port;
    const device = (await plugin.create({ address: `127.0.0.1:${port}` }, { logger: silentLogger })) as StreamSocketAuditDevice;
    await device.write(line('to the first'));
    await first.waitFor('to the first\n');
    await first.stop();
    await waitDisconnected(device);

    const second = await StreamListener.start({ port, host: '127.0.0.1' });
    await device.write(line('to the second'));
    await second.waitFor('to the second\n');
    assert.equal(second.received, 'to the second\n');
    await device.close();
    await second.stop();
  });

  test('write after close is rejected', async () => {
    const device: AuditDevice = await plugin.create({ address: '127.0.0.1:9' }, { logger: silentLogger });
    await device.close();
    await assert.rejects(device.write(line('late')), { message: 'audit socket tcp 127.0.0.1:9 is closed' });
  });

  test('invalid options are rejected by name', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing required option "address"'],
      [{ address: '127.0.0.1:9090', socket_type: 'sctp' }, 'invalid option "socket_type" "sctp": use "tcp", "udp" or "unix"'],
      [{ address: 'localhost' }, 'invalid option "address" "localhost": expected host:port, such as "127.0.0.1:9090"'],
      [{ address: '127.0.0.1:70000' }, 'invalid option "address" "127.0.0.1:70000": expected host:port, such as "127.0.0.1:9090"'],
      [{ address: '127.0.0.1:9090', write_timeout: 'soon' }, 'invalid option "write_timeout" "soon": expected a positive duration such as "2s" or "500ms"'],
      [{ address: '127.0.0.1:9090', write_timeout: '0s' }, 'invalid option "write_timeout" "0s": expected a positive duration such as "2s" or "500ms"'],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(plugin.create(options, { logger: silentLogger }), { message }, JSON.stringify(options));
    }
  });

  test('durations parse to milliseconds', () => {
    assert.equal(parseDurationMilliseconds('2s'), 2000);
    assert.equal(parseDurationMilliseconds('1500ms'), 1500);
    assert.equal(parseDurationMilliseconds('1m30s'), 90_000);
    assert.equal(parseDurationMilliseconds('3'), 3000);
    assert.equal(parseDurationMilliseconds('1.5s'), 1500);
    assert.equal(parseDurationMilliseconds(''), null);
    assert.equal(parseDurationMilliseconds('2 s'), null);
    assert.equal(parseDurationMilliseconds('1d'), null);
  });
});
