import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MAX_JSON_DEPTH, parseJsonBody, readBody } from './body.js';

/** Starts a server on loopback that responds to each request with the length and text of the body readBody returned. */
async function startEchoServer(): Promise<Server> {
  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => response.end(`${request.method} ${request.url} ${body.length} ${body.toString('utf8')}\n`),
      (err: Error) => response.end(`error ${err.message}\n`),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** Sends raw HTTP/1.1 on one connection and returns the response bodies in order. */
async function sendRaw(server: Server, raw: string, responses: number): Promise<string[]> {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
    if (received.split('\r\n\r\n').length > responses) socket.end();
  });
  socket.write(raw);
  await once(socket, 'close');
  return received
    .split(/HTTP\/1\.1 200 OK\r\n[\s\S]*?\r\n\r\n/)
    .filter((part) => part !== '')
    .map((part) => part.replace(/\r\n$/, ''));
}

test('readBody keeps a keep-alive connection in step', async () => {
  const server = await startEchoServer();
  try {
    const raw = [
      'GET /first HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /second HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}',
      'GET /third HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /fourth HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'DELETE /fifth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ].join('');
    const bodies = await sendRaw(server, raw, 5);
    assert.deepEqual(bodies, ['GET /first 0 \n', 'GET /second 7 {"a":1}\n', 'GET /third 0 \n', 'POST /fourth 3 abc\n', 'DELETE /fifth 0 \n']);
  } finally {
    server.close();
  }
});

test('parseJsonBody accepts a wide array', () => {
  const items = Array.from({ length: 300_000 }, () => 'SELECT 1');
  const parsed = parseJsonBody(Buffer.from(JSON.stringify({ creation_statements: items })));

  assert.equal((parsed.creation_statements as string[]).length, 300_000);
});

test('parseJsonBody rejects deep nesting', () => {
  const deep = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);

  assert.throws(() => parseJsonBody(Buffer.from(deep)), {
    status: 400,
    message: `failed to parse JSON input: nesting is deeper than the limit of ${MAX_JSON_DEPTH} levels`,
  });
});

test('parseJsonBody rejects shortest too-deep body', () => {
  // Arrays take two bytes a level, the least any nesting takes, and the
  // body's object is level 0. A value one level below the limit's deepest
  // array is too deep, and `0` is the shortest value.
  const deep = `{"":${'['.repeat(MAX_JSON_DEPTH)}0${']'.repeat(MAX_JSON_DEPTH)}}`;
  const fits = `{"":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
  // Bodies of up to 1000 bytes skip the depth walk.
  assert.equal(Buffer.byteLength(deep), 1006);
  assert.equal(Buffer.byteLength(fits), 1005);

  assert.throws(() => parseJsonBody(Buffer.from(deep)), {
    status: 400,
    message: `failed to parse JSON input: nesting is deeper than the limit of ${MAX_JSON_DEPTH} levels`,
  });
  assert.deepEqual(Object.keys(parseJsonBody(Buffer.from(fits))), ['']);
});

test('parseJsonBody rejects a non-object body', () => {
  assert.throws(() => parseJsonBody(Buffer.from('[1,2]')), {
    status: 400,
    message: 'failed to parse JSON input: the body must be a JSON object',
  });
});

test('parseJsonBody keeps unsafe integers exact', () => {
  const parsed = parseJsonBody(Buffer.from('{"data":{"id":12345678901234567890,"neg":-98765432109876543210,"safe":9007199254740991}}'));
  assert.deepStrictEqual(parsed, { data: { id: 12345678901234567890n, neg: -98765432109876543210n, safe: 9007199254740991 } });
});

test('parseJsonBody reports bad JSON with unsafe integers', () => {
  assert.throws(() => parseJsonBody(Buffer.from('{"id":12345678901234567890')), {
    status: 400,
    message: /^failed to parse JSON input: .*JSON/,
  });
});
