/**
 * Child process that runs the baseline: a bare `node:http` server in one
 * process that sends the same JSON body in reply to every request.
 *
 * Usage (forked by the runner with an IPC channel): `baseline-server.mjs BODY_FILE`.
 * BODY_FILE contains a real KV v2 read response from Coffer, so both servers
 * send bodies of the same size. Sends `{ type: 'ready', address }` once
 * listening on 127.0.0.1 at a free port, and stops like coffer-server.mjs.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { serveChild } from '../lib/child-protocol.mjs';

const bodyPath = process.argv[2];
if (bodyPath === undefined) {
  console.error('usage: baseline-server.mjs BODY_FILE');
  process.exit(1);
}

const body = readFileSync(bodyPath);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

const server = createServer((request, response) => {
  response.writeHead(200, headers);
  response.end(body);
});
// The same keep-alive timeout as Coffer's listener.
server.keepAliveTimeout = 65_000;

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

serveChild({ address: `http://127.0.0.1:${port}` }, () => {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});
