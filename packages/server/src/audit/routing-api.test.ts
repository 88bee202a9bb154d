import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { readEntries } from './test-support.js';

const ROOT = 'root-audit-routing-test';
const SECRET = 'routing-secret-value';

describe('audit routing over HTTP', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-audit-routing-api-'));
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('kv filter, fallback and exclude', async () => {
    const kvLog = join(directory, 'kv.log');
    const restLog = join(directory, 'rest.log');
    const exclude = JSON.stringify([{ condition: 'operation == "update"', fields: ['/request/data'] }]);
    const kv = await api(server, 'PUT', 'sys/audit/kv', { token: ROOT, body: { type: 'file', options: { file_path: kvLog, filter: 'mount_type == "kv"', exclude } } });
    assert.equal(kv.status, 204);
    const rest = await api(server, 'PUT', 'sys/audit/rest', { token: ROOT, body: { type: 'file', options: { file_path: restLog, fallback: true } } });
    assert.equal(rest.status, 204);

    const listed = await api(server, 'GET', 'sys/audit', { token: ROOT });
    assert.deepEqual(listed.body.data['kv/'].options, { file_path: kvLog, filter: 'mount_type == "kv"', exclude });
    assert.deepEqual(listed.body.data['rest/'].options, { file_path: restLog, fallback: 'true' });

    // The first write to a new path is a create operation and the second an update.
    const created = await api(server, 'POST', 'secret/data/app', { token: ROOT, body: { data: { password: SECRET } } });
    assert.equal(created.status, 200);
    const updated = await api(server, 'POST', 'secret/data/app', { token: ROOT, body: { data: { password: SECRET } } });
    assert.equal(updated.status, 200);
    const read = await api(server, 'GET', 'secret/data/app', { token: ROOT });
    assert.equal(read.body.data.data.password, SECRET);
    const mounts = await api(server, 'GET', 'sys/mounts', { token: ROOT });
    assert.equal(mounts.status, 200);

    const kvEntries = await readEntries(kvLog);
    assert.ok(kvEntries.length >= 4);
    assert.ok(kvEntries.every((entry) => entry.request.mount_type === 'kv'), 'only kv entries on the kv device');
    const updates = kvEntries.filter((entry) => entry.request.operation === 'update');
    assert.deepEqual(updates.map((entry) => entry.type), ['request', 'response']);
    assert.ok(updates.every((entry) => !('data' in entry.request)), 'request data excluded on update');
    const creates = kvEntries.filter((entry) => entry.request.operation === 'create');
    assert.deepEqual(creates.map((entry) => entry.type), ['request', 'response']);
    assert.ok(creates.every((entry) => entry.request.data.data.password.startsWith('hmac-sha256:')), 'request data kept on create');
    const readResponse = kvEntries.find((entry) => entry.type === 'response' && entry.request.operation === 'read');
    assert.match(readResponse.response.data.data.password, /^hmac-sha256:/);

    const restEntries = await readEntries(restLog);
    assert.ok(restEntries.every((entry) => entry.request.mount_type !== 'kv'), 'no kv entry on the fallback');
    assert.ok(restEntries.some((entry) => entry.request.path === 'sys/mounts'), 'sys/mounts on the fallback');
  });

  test('invalid filter is rejected over HTTP', async () => {
    const before = await api(server, 'GET', 'sys/audit', { token: ROOT });
    const response = await api(server, 'PUT', 'sys/audit/bad', {
      token: ROOT,
      body: { type: 'file', options: { file_path: join(directory, 'bad.log'), filter: 'mount_type == "kv" and' } },
    });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['invalid option "filter": unexpected end of expression at offset 22: expected a selector, a value, "not" or "("'] });

    const afterwards = await api(server, 'GET', 'sys/audit', { token: ROOT });
    assert.deepEqual(afterwards.body.data, before.body.data);
    assert.equal((await readdir(directory)).includes('bad.log'), false);
  });
});
