import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { readEntries } from './test-support.js';

const ROOT = 'root-raw-response-test';

describe('audit of a raw response', () => {
  let server: RunningServer;
  let directory: string;
  let logPath: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-raw-response-'));
    logPath = join(directory, 'audit.log');
    const enabled = await api(server, 'PUT', 'sys/audit/file', { token: ROOT, body: { type: 'file', options: { file_path: logPath } } });
    assert.equal(enabled.status, 204);
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('status, type and body are recorded', async () => {
    assert.equal((await api(server, 'PUT', 'secret/data/gone', { token: ROOT, body: { data: { password: 'hunter2' } } })).status, 200);
    assert.equal((await api(server, 'DELETE', 'secret/data/gone', { token: ROOT })).status, 204);
    // A deleted version is a 404 with a body, which the KV engine sends as a raw response.
    const response = await fetch(`${server.address}/v1/secret/data/gone`, { headers: { 'X-Vault-Token': ROOT } });
    const body = await response.text();
    assert.equal(response.status, 404);

    const entry = (await readEntries(logPath)).find((item) => item.type === 'response' && item.request.path === 'secret/data/gone' && item.request.operation === 'read');
    const hash = async (input: string): Promise<string> => (await api(server, 'PUT', 'sys/audit-hash/file', { token: ROOT, body: { input } })).body.data.hash;
    // Like every string of response data, the type and the body are HMACs.
    assert.equal(entry.response.data.http_status_code, 404);
    assert.equal(entry.response.data.http_content_type, await hash('application/json'));
    assert.equal(entry.response.data.http_raw_body, await hash(body));
  });
});
