import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createListAwareAcceptor } from './list-adoption.js';

/** Each response's body is the method and URL the handler saw, after a short wait. */
async function echo(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  await sleep(5);
  const text = `${request.method} ${request.url} ${body}`.trimEnd();
  response.writeHead(200, { 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

let server: Server;
let port: number;

before(async () => {
  const http = createHttpServer((request, response) => void echo(request, response));
  const handOver = createListAwareAcceptor(http);
  server = createNetServer((socket) => handOver(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `pieces` on one connection, pausing between them, and returns the response bodies. */
async function exchange(pieces: string[], expectedResponses: number): Promise<string[]> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let received = '';
  socket.on('data', (chunk) => (received += String(chunk)));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  for (const piece of pieces) {
    socket.write(piece);
    await sleep(20);
  }
  for (let waited = 0; countResponses(received) < expectedResponses && waited < 2000; waited += 10) await sleep(10);
  socket.destroy();
  return bodiesOf(received);
}

function countResponses(raw: string): number {
  return raw.split('HTTP/1.1 ').length - 1;
}

function bodiesOf(raw: string): string[] {
  return raw
    .split('HTTP/1.1 ')
    .slice(1)
    .map((response) => {
      const [head, body] = response.split('\r\n\r\n');
      const status = head.split(' ')[0];
      return status === '200' ? body : `status ${status}`;
    });
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const list = (path: string): string => `LIST ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

test('LIST as the first request', async () => {
  assert.deepEqual(await exchange([list('/v1/a/')], 1), ['PROPFIND /v1/a/']);
});

test('LIST after a GET on one connection, then more requests', async () => {
  const bodies = await exchange([get('/v1/one'), list('/v1/two/'), get('/v1/three'), list('/v1/four/')], 4);
  assert.deepEqual(bodies, ['GET /v1/one', 'PROPFIND /v1/two/', 'GET /v1/three', 'PROPFIND /v1/four/']);
});

test('LIST split at every byte of the method', async () => {
  const request = list('/v1/split/');
  for (let cut = 1; cut <= 5; cut += 1) {
    const bodies = await exchange([get('/v1/before'), request.slice(0, cut), request.slice(cut)], 2);
    assert.deepEqual(bodies, ['GET /v1/before', 'PROPFIND /v1/split/'], `cut after ${cut} bytes`);
  }
});

test('LIST pipelined behind requests still being answered', async () => {
  const body = 'LIST /not/a/request';
  const put = `PUT /v1/put HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const bodies = await exchange([get('/v1/one') + put + list('/v1/three/') + get('/v1/four')], 4);
  assert.deepEqual(bodies, ['GET /v1/one', `PUT /v1/put ${body}`, 'PROPFIND /v1/three/', 'GET /v1/four']);
});

test('unknown method answered with 400', async () => {
  assert.deepEqual(await exchange(['FOO /v1/a HTTP/1.1\r\nHost: x\r\n\r\n'], 1), ['status 400']);
  assert.deepEqual(await exchange(['LISTEN /v1/a HTTP/1.1\r\nHost: x\r\n\r\n'], 1), ['status 400']);
});

test('slow headers time out on both paths', async () => {
  const http = createHttpServer({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 100 }, (request, response) =>
    void echo(request, response),
  );
  const handOver = createListAwareAcceptor(http);
  const slowServer = createNetServer((socket) => handOver(socket));
  await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
  const slowPort = (slowServer.address() as AddressInfo).port;

  try {
    for (const method of ['GET', 'LIST']) {
      const socket = connect(slowPort, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += String(chunk)));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      // The request line and one header, then nothing: the headers never end.
      socket.write(`${method} /v1/slow HTTP/1.1\r\nHost: x\r\n`);

      const timedOut = await Promise.race([closed.then(() => true), sleep(3_000).then(() => false)]);
      socket.destroy();
      assert.equal(timedOut, true, `${method}: the server closed the connection`);
      assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/, `${method}: the server sent 408`);
    }
  } finally {
    http.close();
    await new Promise<void>((resolve) => slowServer.close(() => resolve()));
  }
});
