import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../server.js';

test('client abort mid-body logs no error', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const server = await startServer({
    dev: true,
    devRootTokenId: 'root',
    devListenAddress: '127.0.0.1:0',
    logDestination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  try {
    const { hostname, port } = new URL(server.address);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('PUT /v1/secret/data/app HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data":');
    await sleep(100);
    socket.destroy();
    await sleep(200);

    const errors = lines.filter((line) => line.level === 50 || line.level === 'error');
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});
