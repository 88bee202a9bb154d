import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { exchange, ExchangeError, type ExchangeOptions } from './client.js';

/** A log line as the client wrote it. */
interface LogLine {
  level: string;
  fields: object;
  message: string;
}

/** Returns a logger that keeps every line it is given. */
function recordingLogger(lines: LogLine[]): Logger {
  const write = (level: string) => (fields: object, message: string) => {
    lines.push({ level, fields, message });
  };
  const logger: Logger = {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

/** Starts a fake server on loopback that replies to each request with `count` forged responses. */
async function startForgingServer(count: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.on('message', (request, client) => {
    for (let index = 0; index < count; index += 1) {
      // An Access-Accept with the request's identifier and a Response Authenticator made without the secret.
      const forged = Buffer.alloc(20, index);
      forged[0] = 2;
      forged[1] = request[1];
      forged.writeUInt16BE(20, 2);
      socket.send(forged, client.port, client.address);
    }
  });
  return socket;
}

test('forged flood logs one line', { timeout: 60_000 }, async () => {
  const server = await startForgingServer(50);
  const lines: LogLine[] = [];
  const options: ExchangeOptions = {
    host: '127.0.0.1',
    port: server.address().port,
    secret: 'flood-test-secret',
    username: 'alice',
    password: 'alice-password',
    nasPort: 10,
    nasIdentifier: '',
    dialTimeout: 5,
    readTimeout: 2,
  };

  try {
    await assert.rejects(exchange(options, recordingLogger(lines)), (err: unknown) => {
      assert.ok(err instanceof ExchangeError);
      assert.equal(
        err.message,
        `no valid response from RADIUS server 127.0.0.1:${options.port} within the read_timeout of 2s; 50 response(s) failed verification, check that "secret" matches the server's shared secret`,
      );
      return true;
    });
  } finally {
    server.close();
  }

  const discarded = lines.filter((line) => line.message === 'discarded radius response');
  assert.equal(discarded.length, 1);
  assert.deepEqual(discarded[0].fields, { server: `127.0.0.1:${options.port}`, problem: 'invalid response authenticator' });
  const logged = JSON.stringify(lines);
  assert.equal(logged.includes(options.secret), false);
  assert.equal(logged.includes(options.password), false);
});
