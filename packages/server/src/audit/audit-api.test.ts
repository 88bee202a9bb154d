import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-audit-test';
const SECRET = 'correct-horse-battery-staple';

/** Collects every `hmac-sha256:...` value in a parsed log entry, at any depth. */
function hmacValues(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string' && value.startsWith('hmac-sha256:')) found.push(value);
  else if (Array.isArray(value)) value.forEach((item) => hmacValues(item, found));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => hmacValues(item, found));
  return found;
}

describe('audit over HTTP', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-audit-api-'));
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('file device records requests without secrets in clear', async () => {
    const logPath = join(directory, 'main', 'audit.log');
    const enabled = await api(server, 'PUT', 'sys/audit/main', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } });
    assert.equal(enabled.status, 204);

    await api(server, 'POST', 'secret/data/app', { token: ROOT, body: { data: { password: SECRET, nested: { deeper: [SECRET] } } } });
    const read = await api(server, 'GET', 'secret/data/app', { token: ROOT });
    assert.equal(read.body.data.data.password, SECRET);

    const text = await readFile(logPath, 'utf8');
    assert.equal(text.includes(SECRET), false, 'no secret value in clear');
    assert.equal(text.includes(ROOT), false, 'no token in clear');
    const entries = text.trim().split('\n').map((line) => JSON.parse(line));
    const writeRequest = entries.find((entry) => entry.type === 'request' && entry.request.path === 'secret/data/app' && entry.request.operation !== 'read');
    assert.ok(writeRequest !== undefined);
    assert.equal(writeRequest.request.mount_type, 'kv');
    assert.match(writeRequest.request.id, /^[0-9a-f-]{36}$/);
    assert.equal(writeRequest.auth.policies[0], 'root');

    const readResponse = entries.find((entry) => entry.type === 'response' && entry.request.operation === 'read' && entry.request.path === 'secret/data/app');
    const hashedPassword = readResponse.response.data.data.password;
    const hashed = await api(server, 'POST', 'sys/audit-hash/main', { token: ROOT, body: { input: SECRET } });
    assert.equal(hashed.body.data.hash, hashedPassword);
    assert.ok(hmacValues(entries).length > 5);
  });

  test('request that no device can record fails and changes nothing', async () => {
    await api(server, 'POST', 'secret/data/guarded', { token: ROOT, body: { data: { value: 'before' } } });
    const mainDirectory = join(directory, 'main');
    await rm(mainDirectory, { recursive: true, force: true });

    const refused = await api(server, 'POST', 'secret/data/guarded', { token: ROOT, body: { data: { value: 'after' } } });
    assert.equal(refused.status, 500);

    await mkdir(mainDirectory);
    const read = await api(server, 'GET', 'secret/data/guarded', { token: ROOT });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data.data, { value: 'before' });
    assert.equal(read.body.data.metadata.version, 1);
  });

  test('a second healthy device keeps requests working', async () => {
    const socketServer: Server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => socketServer.listen(0, '127.0.0.1', resolve));
    const port = (socketServer.address() as { port: number }).port;
    try {
      const second = await api(server, 'PUT', 'sys/audit/net', { token: ROOT, body: { type: 'socket', options: { address: `127.0.0.1:${port}`, socket_type: 'tcp' } } });
      assert.equal(second.status, 204);
      await rm(join(directory, 'main'), { recursive: true, force: true });
      const write = await api(server, 'POST', 'secret/data/guarded', { token: ROOT, body: { data: { value: 'after' } } });
      assert.equal(write.status, 200);
      assert.equal(write.body.data.version, 2);
    } finally {
      await api(server, 'DELETE', 'sys/audit/main', { token: ROOT });
      await api(server, 'DELETE', 'sys/audit/net', { token: ROOT });
      socketServer.close();
    }
  });

  test('audit list shows enabled devices', async () => {
    const logPath = join(directory, 'listed.log');
    await api(server, 'PUT', 'sys/audit/listed', { token: ROOT, body: { type: 'file', description: 'for listing', options: { file_path: logPath } } });
    const listed = await api(server, 'GET', 'sys/audit', { token: ROOT });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data['listed/'].type, 'file');
    assert.equal(listed.body.data['listed/'].description, 'for listing');
    await api(server, 'DELETE', 'sys/audit/listed', { token: ROOT });
  });
});
